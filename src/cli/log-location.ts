import { homedir } from "node:os";
import type { Command } from "commander";
import { resolveLogPath } from "../audit/log-path.js";
import type { CliContext } from "./context.js";
import { globalOptions } from "./global-options.js";

// Where the log is for commands that read it: --log, TASKACCESS_LOG, the task file's `log` when a
// task file is found, else the default under $XDG_STATE_HOME. The same order as run's.
export async function locateLog(
  ctx: CliContext,
  command: Command,
  flag: string | undefined,
): Promise<string> {
  const { io } = ctx;
  const needsTaskFile = flag === undefined && !io.env.TASKACCESS_LOG;
  // The task-file parser (yaml, zod) is loaded only when the task file is needed.
  const taskFile = needsTaskFile
    ? await (await import("../task/open-task-file.js")).openTaskFileIfPresent({
        cwd: io.cwd,
        file: globalOptions(command).file,
        envFile: io.env.TASKACCESS_FILE,
      })
    : undefined;
  return resolveLogPath({
    flag,
    env: io.env,
    taskFileLog: taskFile?.log,
    taskFileDir: taskFile?.directory,
    homedir: homedir(),
    cwd: io.cwd,
  });
}
