import { rmSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IssuedCredentials } from "./ports.js";

/** The profile the files define and AWS_PROFILE names. */
export const FILE_PROFILE = "taskaccess";

export interface CredentialFiles {
  /** The 0700 directory holding both files. */
  directory: string;
  configFile: string;
  credentialsFile: string;
  /** AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE for the child. */
  variables: Record<string, string>;
  /** Deletes the directory and both files; safe to call more than once; never throws. */
  remove: () => Promise<void>;
}

export interface CredentialFilesInput {
  credentials: Pick<IssuedCredentials, "accessKeyId" | "secretAccessKey" | "sessionToken" | "expiration">;
  region: string;
  sessionId: string;
  /** Where the directory is made; default os.tmpdir() (TMPDIR). */
  parent?: string | undefined;
}

// The `file` credential delivery, for tools that read only profiles: a shared config and a
// credentials file with one profile, `taskaccess`, in a fresh directory that only the user can
// enter (0700), each file readable only by the user (0600). run-session removes them in its
// finally, so on every path that taskaccess itself survives; the exit hook covers a crash.
export async function writeCredentialFiles(input: CredentialFilesInput): Promise<CredentialFiles> {
  const header = headerOf(input.sessionId, input.credentials.expiration);
  const region = input.region ? `region = ${input.region}\n` : "";
  const files = await writeProfileFiles(input.sessionId, input.parent, {
    config: `${header}[profile ${FILE_PROFILE}]\n${region}`,
    credentials: `${header}[${FILE_PROFILE}]\naws_access_key_id = ${input.credentials.accessKeyId}\naws_secret_access_key = ${input.credentials.secretAccessKey}\naws_session_token = ${input.credentials.sessionToken}\n`,
  });
  files.variables.AWS_PROFILE = FILE_PROFILE;
  return files;
}

// The `server` delivery's guard: a credentials file with no profile and a config with only the
// region. The AWS CLI, boto3 and the JS SDK read the shared files before the container endpoint,
// so with the user's own files a `[default]` profile would win and the command would run as the
// base identity; with these, the endpoint is the only source they find.
export async function writeEmptyProfileFiles(input: {
  region: string;
  sessionId: string;
  expiration: Date;
  parent?: string | undefined;
}): Promise<CredentialFiles> {
  const header = headerOf(input.sessionId, input.expiration);
  const region = input.region ? `region = ${input.region}\n` : "";
  return writeProfileFiles(input.sessionId, input.parent, {
    config: `${header}[default]\n${region}`,
    credentials: header,
  });
}

function headerOf(sessionId: string, expiration: Date): string {
  return `# taskaccess session ${sessionId}: removed when the run ends; valid until ${expiration.toISOString()}\n`;
}

// A fresh 0700 directory with a 0600 config and credentials file, and their removal.
async function writeProfileFiles(
  sessionId: string,
  parent: string | undefined,
  texts: { config: string; credentials: string },
): Promise<CredentialFiles> {
  const directory = await mkdtemp(join(parent ?? tmpdir(), `taskaccess-${sessionId}-`));
  const removeSync = () => {
    rmSync(directory, { recursive: true, force: true });
  };
  process.once("exit", removeSync);
  let removed: Promise<void> | undefined;
  const remove = () => {
    removed ??= (async () => {
      process.off("exit", removeSync);
      await rm(directory, { recursive: true, force: true }).catch(() => {
        // Tried again synchronously; a directory that cannot be removed is not worth a failed run.
        try {
          removeSync();
        } catch {}
      });
    })();
    return removed;
  };
  try {
    await chmod(directory, 0o700);
    const configFile = join(directory, "config");
    const credentialsFile = join(directory, "credentials");
    await writePrivate(configFile, texts.config);
    await writePrivate(credentialsFile, texts.credentials);
    return {
      directory,
      configFile,
      credentialsFile,
      variables: { AWS_CONFIG_FILE: configFile, AWS_SHARED_CREDENTIALS_FILE: credentialsFile },
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

// Created exclusively (never through a planted file or link) and then set to exactly 0600,
// whatever the umask made of the mode at creation.
async function writePrivate(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600, flag: "wx" });
  await chmod(path, 0o600);
}
