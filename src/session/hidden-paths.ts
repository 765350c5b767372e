import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { stateHomeOf } from "../audit/log-path.js";

export interface HiddenPathsInput {
  /** taskaccess's environment: the files AWS_* variables name are hidden too. */
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
  /** The command's working directory: it stays visible, so no directory holding it is hidden whole. */
  cwd: string;
  /** The session log (its directory holds the locks): undefined where there is none. */
  logPath?: string | undefined;
}

/** What the isolated command must not see: directories replaced by an empty tmpfs, files by /dev/null. */
export interface HiddenPaths {
  directories: string[];
  files: string[];
}

/** Variables naming files that hold or select the base identity's credentials. */
const CREDENTIAL_FILE_VARIABLES = [
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONFIG_FILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
];

// Everything of the base identity and of taskaccess itself that lives in files: ~/.aws (credentials,
// config, sso/cache, cli/cache), the files AWS_* variables name, taskaccess's state directory and
// the session log's directory with its locks. Resolved through links, existing paths only.
export function listHiddenPaths(input: HiddenPathsInput): HiddenPaths {
  const stateHome = stateHomeOf(input.env, input.homedir);
  const directories = [join(input.homedir, ".aws"), join(stateHome, "taskaccess")];
  const files = CREDENTIAL_FILE_VARIABLES.map((name) => input.env[name]).filter(
    (path): path is string => typeof path === "string" && path.startsWith("/"),
  );
  if (input.logPath) files.push(input.logPath);
  const hidden: HiddenPaths = { directories: [], files: [] };
  const cwd = real(input.cwd) ?? input.cwd;
  for (const directory of directories) hideDirectory(real(directory), cwd, hidden, 0);
  if (input.logPath) hideLogDirectory(real(dirname(input.logPath)), cwd, hidden);
  for (const file of files) {
    const path = real(file);
    if (path && isFile(path) && !covered(path, hidden.directories)) hidden.files.push(path);
  }
  hidden.directories = [...new Set(hidden.directories)];
  hidden.files = [...new Set(hidden.files)];
  return hidden;
}

// A directory that holds the working directory cannot be replaced whole: its other entries are.
function hideDirectory(path: string | undefined, cwd: string, hidden: HiddenPaths, depth: number): void {
  if (!path || !isDirectory(path) || path === "/") return;
  if (!contains(path, cwd)) {
    hidden.directories.push(path);
    return;
  }
  if (path === cwd || depth > 8) return;
  for (const entry of readdirSync(path)) {
    const child = join(path, entry);
    if (isDirectory(child)) hideDirectory(child, cwd, hidden, depth + 1);
    else if (isFile(child)) hidden.files.push(child);
  }
}

// The log's directory goes whole unless it holds the working directory (a log inside the project):
// then the log and taskaccess's lock files in it are hidden, and the project's own files are not.
function hideLogDirectory(path: string | undefined, cwd: string, hidden: HiddenPaths): void {
  if (!path || !isDirectory(path) || path === "/") return;
  if (!contains(path, cwd)) {
    hidden.directories.push(path);
    return;
  }
  for (const entry of readdirSync(path)) {
    if (entry.endsWith(".lock") && isFile(join(path, entry))) hidden.files.push(join(path, entry));
  }
}

function contains(directory: string, path: string): boolean {
  return path === directory || path.startsWith(directory.endsWith(sep) ? directory : directory + sep);
}

function covered(path: string, directories: readonly string[]): boolean {
  return directories.some((directory) => contains(directory, path));
}

function real(path: string): string | undefined {
  try {
    return existsSync(path) ? realpathSync(path) : undefined;
  } catch {
    return undefined;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
