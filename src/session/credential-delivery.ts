import { UsageError } from "../errors.js";
import { envCredentialVariables } from "./child-env.js";
import { writeCredentialFiles, writeEmptyProfileFiles } from "./credential-file.js";
import { type CredentialMode, isCredentialMode } from "./credential-modes.js";
import { type HeldCredentials, startCredentialServer } from "./credential-server.js";
import type { Clock, IssuedCredentials } from "./ports.js";

// `--credentials MODE`, checked before anything else happens.
export function parseCredentialMode(value: string): CredentialMode {
  if (isCredentialMode(value)) return value;
  throw new UsageError(
    `--credentials ${JSON.stringify(value)} is not a way to deliver credentials`,
    "use env (variables, the default), server (a local endpoint that refreshes them) or file (a temporary profile)",
  );
}

export interface CredentialDelivery {
  mode: CredentialMode;
  /** The child's credential variables, set after the parent's are stripped (child-env.ts). */
  variables: Record<string, string>;
  /** Ends the delivery: the endpoint stops answering, the files are gone. Idempotent. */
  close: () => Promise<void>;
}

export interface CredentialDeliveryInput {
  mode: CredentialMode;
  initial: HeldCredentials;
  /** The DurationSeconds every session of the run is asked for. */
  lifetimeSeconds: number;
  region: string;
  sessionId: string;
  clock: Clock;
  /** `server` only: a new STS session for the same task, logged, and revoked with the rest at the end. */
  refresh: () => Promise<IssuedCredentials>;
  warn: (message: string) => void;
}

// Hands the session's credentials to the child in the chosen way:
// - env: the keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (no refresh);
// - server: a container-credentials endpoint on 127.0.0.1 that refreshes (credential-server.ts);
// - file: a temporary shared config and credentials file with one profile (credential-file.ts).
export async function startCredentialDelivery(input: CredentialDeliveryInput): Promise<CredentialDelivery> {
  switch (input.mode) {
    case "env":
      return {
        mode: "env",
        variables: envCredentialVariables(input.initial.credentials),
        close: async () => {},
      };
    case "server": {
      const files = await writeEmptyProfileFiles({
        region: input.region,
        sessionId: input.sessionId,
        expiration: input.initial.credentials.expiration,
      });
      const server = await startCredentialServer({
        initial: input.initial,
        lifetimeSeconds: input.lifetimeSeconds,
        refresh: input.refresh,
        clock: input.clock,
        warn: input.warn,
      }).catch(async (error: unknown) => {
        await files.remove();
        throw error;
      });
      return {
        mode: "server",
        variables: { ...files.variables, ...containerVariables(server.url, server.token) },
        close: async () => {
          await server.close();
          await files.remove();
        },
      };
    }
    case "file": {
      const files = await writeCredentialFiles({
        credentials: input.initial.credentials,
        region: input.region,
        sessionId: input.sessionId,
      });
      return { mode: "file", variables: files.variables, close: files.remove };
    }
  }
}

function containerVariables(url: string, token: string): Record<string, string> {
  return { AWS_CONTAINER_CREDENTIALS_FULL_URI: url, AWS_CONTAINER_AUTHORIZATION_TOKEN: token };
}

// The variables a mode sets, with placeholder values, for `run --print-env`.
export function previewCredentialVariables(mode: CredentialMode): Record<string, string> {
  switch (mode) {
    case "env":
      return envCredentialVariables({
        accessKeyId: "",
        secretAccessKey: "",
        sessionToken: "",
        expiration: new Date(0),
      });
    case "server":
      return { AWS_CONFIG_FILE: "", AWS_SHARED_CREDENTIALS_FILE: "", ...containerVariables("", "") };
    case "file":
      return { AWS_CONFIG_FILE: "", AWS_SHARED_CREDENTIALS_FILE: "", AWS_PROFILE: "" };
  }
}
