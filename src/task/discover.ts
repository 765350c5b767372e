import { stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ExitCode, TaskAccessError } from "../errors.js";

export const TASK_FILE_NAME = "taskaccess.yaml";

export interface TaskFileLocation {
  /** Absolute path, for reading. */
  path: string;
  /** Path as a person in `cwd` would write it, for messages. */
  displayPath: string;
}

export interface DiscoverOptions {
  cwd: string;
  /** From --file; wins over the environment. */
  file?: string | undefined;
  /** TASKACCESS_FILE, read by the caller, never from process.env here. */
  envFile?: string | undefined;
}

// Finds the task file the way git finds .git: --file, then TASKACCESS_FILE, then walking up from cwd.
export async function discoverTaskFile(options: DiscoverOptions): Promise<TaskFileLocation> {
  const found = await findTaskFile(options);
  if (found) return found;
  throw new TaskAccessError(`no ${TASK_FILE_NAME} found in ${options.cwd} or any parent directory`, {
    exitCode: ExitCode.taskFile,
    hint: "run `taskaccess init` to write one, or name it with --file PATH or TASKACCESS_FILE",
  });
}

// As discoverTaskFile, but "none found by walking up" is an answer, not an error: commands that
// read the log use a task file's `log` setting when there is one. A named file must still exist.
export async function findTaskFile(options: DiscoverOptions): Promise<TaskFileLocation | undefined> {
  const named = options.file ?? (options.envFile ? options.envFile : undefined);
  if (named !== undefined) {
    const path = isAbsolute(named) ? named : resolve(options.cwd, named);
    if (!(await isFile(path))) {
      const source = options.file !== undefined ? "--file" : "TASKACCESS_FILE";
      throw new TaskAccessError(`task file ${named} (from ${source}) does not exist or is not a file`, {
        exitCode: ExitCode.taskFile,
        hint: "check the path, or run `taskaccess init` to write a starter file",
      });
    }
    return { path, displayPath: display(options.cwd, path) };
  }
  let dir = resolve(options.cwd);
  for (;;) {
    const candidate = join(dir, TASK_FILE_NAME);
    if (await isFile(candidate)) return { path: candidate, displayPath: display(options.cwd, candidate) };
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function display(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === "" || isAbsolute(rel) || rel.startsWith(`..${sep}..`) ? path : rel;
}
