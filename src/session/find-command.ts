import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { TaskAccessError } from "../errors.js";

/** The shell's code for a command that cannot be found or run. */
export const COMMAND_NOT_FOUND = 127;

// Finds the command the way execvp will (a name with a slash as a path from the working directory,
// else each PATH entry), before any AWS call: a typo must not cost a session. Returns the path.
export function findCommand(command: string, options: { cwd: string; path: string | undefined }): string {
  if (command.includes("/")) {
    const path = isAbsolute(command) ? command : resolve(options.cwd, command);
    if (isExecutableFile(path)) return path;
    throw notFound(command, `${path} does not exist or is not an executable file`);
  }
  for (const directory of (options.path ?? "").split(delimiter)) {
    if (directory === "") continue;
    const path = resolve(options.cwd, join(directory, command));
    if (isExecutableFile(path)) return path;
  }
  throw notFound(command, "it is not in any directory of PATH");
}

function notFound(command: string, why: string): TaskAccessError {
  return new TaskAccessError(`cannot run ${command}: ${why}; nothing was asked of AWS`, {
    exitCode: COMMAND_NOT_FOUND,
    hint: "check the command's name, its execute permission and PATH",
  });
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
