import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { formatS3Location, isS3Location, parseS3Location } from "./s3-location.js";

export interface LogPathInput {
  /** `--log PATH`. */
  flag?: string | undefined;
  /** The environment, for TASKACCESS_LOG and XDG_STATE_HOME (passed in, never read here). */
  env: Readonly<Record<string, string | undefined>>;
  /** The task file's `log` setting, as written: a relative path inside `taskFileDir`. */
  taskFileLog?: string | undefined;
  /** The directory holding the task file: a relative `log` setting is relative to it. */
  taskFileDir?: string | undefined;
  homedir: string;
  /** Where a relative --log or TASKACCESS_LOG is relative to; the process's cwd if not given. */
  cwd?: string | undefined;
}

/** The log's place inside a state directory. */
const STATE_SUBPATH = join("taskaccess", "sessions.jsonl");

// Where the session log is: --log, then TASKACCESS_LOG (anywhere: the user sets them), then the task
// file's `log` (inside the task file's directory), then $XDG_STATE_HOME/taskaccess/sessions.jsonl,
// else ~/.local/state/taskaccess/sessions.jsonl.
// Always an absolute path, so that error messages and the lock file name one unambiguous file.
export function resolveLogPath(input: LogPathInput): string {
  const { env, homedir } = input;
  const cwd = input.cwd ?? process.cwd();
  const flag = nonEmpty(input.flag);
  if (flag) return local(flag) ?? resolve(cwd, expandHome(flag, homedir));
  const fromEnv = nonEmpty(env.TASKACCESS_LOG);
  if (fromEnv) return local(fromEnv) ?? resolve(cwd, expandHome(fromEnv, homedir));
  const fromTaskFile = nonEmpty(input.taskFileLog);
  if (fromTaskFile) return local(fromTaskFile) ?? insideTaskFileDir(input.taskFileDir ?? cwd, fromTaskFile);
  return join(stateHomeOf(env, homedir), STATE_SUBPATH);
}

// $XDG_STATE_HOME, else ~/.local/state: where taskaccess keeps its state (the default log, the S3
// log's spool and role locks). The XDG Base Directory spec says a relative XDG_STATE_HOME is
// invalid and must be ignored.
export function stateHomeOf(env: Readonly<Record<string, string | undefined>>, homedir: string): string {
  const stateHome = nonEmpty(env.XDG_STATE_HOME);
  if (stateHome && isAbsolute(stateHome)) return stateHome;
  return join(resolve(homedir), ".local", "state");
}

// An S3 log (s3://BUCKET/PREFIX/) is taken as written, with its prefix ending in "/"; a path is
// not: undefined.
function local(value: string): string | undefined {
  return isS3Location(value) ? formatS3Location(parseS3Location(value)) : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

// The task file's `log`, which the task-file reader has already held to a relative path inside the
// file's directory (src/task/log-setting.ts): no ~ expansion, and a path that still leaves the
// directory is a bug, not a place to write.
function insideTaskFileDir(dir: string, log: string): string {
  const root = resolve(dir);
  const path = resolve(root, log);
  const rel = relative(root, path);
  if (log.startsWith("~") || rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new Error(`internal: the task file's log setting ${JSON.stringify(log)} is not inside ${root}`);
  }
  return path;
}

// A quoted "~/x" reaches us unexpanded (and YAML never expands it); expand it the way a shell would.
function expandHome(path: string, homedir: string): string {
  if (path === "~") return homedir;
  if (path.startsWith("~/")) return join(homedir, path.slice(2));
  return path;
}
