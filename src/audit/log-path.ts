import { isAbsolute, join, resolve } from "node:path";

export interface LogPathInput {
  /** `--log PATH`. */
  flag?: string | undefined;
  /** The environment, for TASKACCESS_LOG and XDG_STATE_HOME (passed in, never read here). */
  env: Readonly<Record<string, string | undefined>>;
  /** The task file's `log` setting, as written. */
  taskFileLog?: string | undefined;
  /** The directory holding the task file: a relative `log` setting is relative to it. */
  taskFileDir?: string | undefined;
  homedir: string;
  /** Where a relative --log or TASKACCESS_LOG is relative to; the process's cwd if not given. */
  cwd?: string | undefined;
}

/** The log's place inside a state directory. */
const STATE_SUBPATH = join("taskaccess", "sessions.jsonl");

// Where the session log is: --log, then TASKACCESS_LOG, then the task file's `log` (relative to the
// task file), then $XDG_STATE_HOME/taskaccess/sessions.jsonl, else ~/.local/state/taskaccess/sessions.jsonl.
// Always an absolute path, so that error messages and the lock file name one unambiguous file.
export function resolveLogPath(input: LogPathInput): string {
  const { env, homedir } = input;
  const cwd = input.cwd ?? process.cwd();
  const flag = nonEmpty(input.flag);
  if (flag) return resolve(cwd, expandHome(flag, homedir));
  const fromEnv = nonEmpty(env.TASKACCESS_LOG);
  if (fromEnv) return resolve(cwd, expandHome(fromEnv, homedir));
  const fromTaskFile = nonEmpty(input.taskFileLog);
  if (fromTaskFile) return resolve(input.taskFileDir ?? cwd, expandHome(fromTaskFile, homedir));
  // The XDG Base Directory spec says a relative XDG_STATE_HOME is invalid and must be ignored.
  const stateHome = nonEmpty(env.XDG_STATE_HOME);
  if (stateHome && isAbsolute(stateHome)) return join(stateHome, STATE_SUBPATH);
  return join(resolve(homedir), ".local", "state", STATE_SUBPATH);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

// A quoted "~/x" reaches us unexpanded (and YAML never expands it); expand it the way a shell would.
function expandHome(path: string, homedir: string): string {
  if (path === "~") return homedir;
  if (path.startsWith("~/")) return join(homedir, path.slice(2));
  return path;
}
