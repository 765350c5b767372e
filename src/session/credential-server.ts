import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock, IssuedCredentials } from "./ports.js";

/** The least time left at which served credentials are replaced (the JS SDK refetches at 5 minutes). */
export const MIN_REFRESH_WINDOW_MS = 5 * 60 * 1000;
/** After a failed refresh, credentials that are still valid are served this long before STS is asked again. */
export const REFRESH_RETRY_MS = 5_000;

/** Credentials as the server holds them: with the moment they were asked for, by the server's clock. */
export interface HeldCredentials {
  credentials: IssuedCredentials;
  /** clock.now() just before the AssumeRole call that issued them. */
  issuedAt: number;
}

export interface CredentialServerOptions {
  initial: HeldCredentials;
  /** The lifetime asked of STS (DurationSeconds); STS counts it from the moment it issues. */
  lifetimeSeconds: number;
  /** Issues new credentials (a new STS session); called when the served ones are due for refresh. */
  refresh: () => Promise<IssuedCredentials>;
  /** The server's clock for refresh decisions (Date.now in the CLI; tests pass the sandbox's). */
  clock: Clock;
  random?: (size: number) => Buffer;
  /** Told when a refresh fails (the child keeps getting the old credentials while they last). */
  warn?: (message: string) => void;
}

export interface CredentialServer {
  /** AWS_CONTAINER_CREDENTIALS_FULL_URI: http://127.0.0.1:PORT/<random path>. */
  url: string;
  /** AWS_CONTAINER_AUTHORIZATION_TOKEN: 32 random bytes in hex. */
  token: string;
  /** Stops answering at once (open connections are cut) and waits for a refresh in flight. */
  close: () => Promise<void>;
}

// How long the held credentials stay valid, as well as the server can tell. Two estimates, the
// smaller wins: the lifetime STS granted minus the time held (immune to a skew between this clock
// and STS's, because STS counts the lifetime from its own issue time), and the Expiration STS
// wrote minus this clock's now (catches a lifetime shorter than asked for).
export function remainingMs(held: HeldCredentials, lifetimeMs: number, now: number): number {
  return Math.min(lifetimeMs - (now - held.issuedAt), held.credentials.expiration.getTime() - now);
}

// Replace the credentials when less than a third of their lifetime is left, and never later than
// five minutes before they expire: clients ask again from 5 (JS SDK) or 15 minutes (botocore)
// before the Expiration they were given, and must then get credentials with a life ahead of them.
export function refreshWindowMs(lifetimeMs: number): number {
  return Math.max(MIN_REFRESH_WINDOW_MS, Math.floor(lifetimeMs / 3));
}

// The `server` credential delivery: the container-credentials protocol that the AWS SDKs and the
// AWS CLI speak (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN) on
// 127.0.0.1 only, with a random port, path and token. Refresh is lazy: a request that finds the
// served credentials inside the refresh window first re-assumes the role, so credentials nobody
// asks for are never renewed, and the task can outlive one lifetime and the role's maximum.
export async function startCredentialServer(options: CredentialServerOptions): Promise<CredentialServer> {
  const random = options.random ?? randomBytes;
  const token = random(32).toString("hex");
  const path = `/taskaccess/${random(16).toString("hex")}`;
  const expectedToken = Buffer.from(token);
  const lifetimeMs = options.lifetimeSeconds * 1000;
  const windowMs = refreshWindowMs(lifetimeMs);
  const { clock } = options;
  let held = options.initial;
  let pending: Promise<HeldCredentials> | undefined;
  let failedAt: number | undefined;
  let closed = false;

  const refreshNow = async (): Promise<HeldCredentials> => {
    const issuedAt = clock.now();
    try {
      const credentials = await options.refresh();
      held = { credentials, issuedAt };
      failedAt = undefined;
      return held;
    } catch (error) {
      failedAt = clock.now();
      const left = remainingMs(held, lifetimeMs, failedAt);
      options.warn?.(
        `could not refresh the credentials: ${error instanceof Error ? error.message : String(error)}${
          left > 0
            ? `; the command keeps the current ones, valid for about ${Math.round(left / 1000)} s more`
            : ""
        }`,
      );
      if (left > 0) return held;
      throw error;
    }
  };

  const current = (): Promise<HeldCredentials> => {
    if (pending) return pending;
    const now = clock.now();
    const left = remainingMs(held, lifetimeMs, now);
    if (left >= windowMs) return Promise.resolve(held);
    if (left > 0 && failedAt !== undefined && now - failedAt < REFRESH_RETRY_MS) return Promise.resolve(held);
    const started = refreshNow();
    pending = started;
    void started
      .finally(() => {
        if (pending === started) pending = undefined;
      })
      .catch(() => {});
    return started;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const given = request.headers.authorization;
    if (given === undefined) {
      reply(response, 401, { Code: "Unauthorized", Message: "the request needs the Authorization token" });
      return;
    }
    const candidate = Buffer.from(given);
    if (candidate.length !== expectedToken.length || !timingSafeEqual(candidate, expectedToken)) {
      reply(response, 403, { Code: "AccessDenied", Message: "the Authorization token is not this run's" });
      return;
    }
    const target = new URL(request.url ?? "/", "http://127.0.0.1");
    if (target.pathname !== path) {
      reply(response, 404, { Code: "NotFound", Message: "no such credentials" });
      return;
    }
    if (request.method !== "GET") {
      reply(response, 405, { Code: "MethodNotAllowed", Message: "only GET" });
      return;
    }
    if (closed) {
      reply(response, 503, { Code: "TaskEnded", Message: "the task has ended" });
      return;
    }
    try {
      const { credentials } = await current();
      if (closed) {
        reply(response, 503, { Code: "TaskEnded", Message: "the task has ended" });
        return;
      }
      reply(response, 200, containerCredentials(credentials));
    } catch (error) {
      reply(response, 503, {
        Code: "CredentialsUnavailable",
        Message: `taskaccess could not refresh the credentials: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  };

  const server = createServer((request, response) => {
    // The body of a GET is not read; resume() lets the connection be reused or closed.
    request.resume();
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  server.on("clientError", (_error, socket) => {
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    token,
    close: () => {
      closing ??= (async () => {
        closed = true;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        // A refresh in flight may have issued credentials: they must be known before revocation.
        await pending?.catch(() => {});
      })();
      return closing;
    },
  };
}

// The container-credentials JSON: what @aws-sdk/credential-provider-http (fromHttp) and botocore's
// ContainerProvider read. Expiration is RFC 3339 in UTC, as ECS writes it.
export function containerCredentials(credentials: IssuedCredentials): Record<string, string> {
  const account = /^arn:[^:]+:sts::(\d{12}):/.exec(credentials.assumedRoleArn)?.[1];
  return {
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    Token: credentials.sessionToken,
    Expiration: credentials.expiration.toISOString().replace(/\.\d{3}Z$/, "Z"),
    ...(account ? { AccountId: account } : {}),
  };
}

function reply(response: ServerResponse, status: number, body: Record<string, string>): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  response.end(text);
}
