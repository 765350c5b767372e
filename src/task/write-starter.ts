import { writeFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { ExitCode, TaskAccessError } from "../errors.js";
import { TASK_FILE_NAME } from "./discover.js";
import { STARTER_TASK_FILE } from "./starter-task-file.js";

// Writes the starter task file, never over an existing one (the 'wx' flag makes that atomic).
export async function writeStarterTaskFile(cwd: string, file?: string): Promise<string> {
  const path =
    file === undefined ? resolve(cwd, TASK_FILE_NAME) : isAbsolute(file) ? file : resolve(cwd, file);
  try {
    await writeFile(path, STARTER_TASK_FILE, { flag: "wx", mode: 0o644 });
  } catch (cause) {
    const exists = cause && typeof cause === "object" && "code" in cause && cause.code === "EEXIST";
    throw new TaskAccessError(
      exists ? `${path} already exists; not overwriting it` : `cannot write ${path}: ${String(cause)}`,
      {
        exitCode: exists ? ExitCode.usage : ExitCode.taskFile,
        hint: exists ? "edit it, or remove it first to start again" : undefined,
        cause,
      },
    );
  }
  return path;
}
