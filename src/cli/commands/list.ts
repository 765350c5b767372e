import { Command } from "commander";
import { formatDuration } from "../../task/duration.js";
import type { CliContext } from "../context.js";
import { formatFinding } from "../format-diagnostics.js";
import { formatTable } from "../format-table.js";
import { globalOptions } from "../global-options.js";
import { stringifyJson } from "../json-output.js";

interface ListOptions {
  json?: boolean;
}

// `taskaccess list`: the tasks a person may run, at a glance.
export function listCommand(ctx: CliContext): Command {
  return new Command("list")
    .description("list the tasks with their descriptions, roles and durations")
    .option("--json", "print one JSON object")
    .action(async (options: ListOptions, command: Command) => {
      const { openTaskFile } = await import("../../task/open-task-file.js");
      const taskFile = await openTaskFile({
        cwd: ctx.io.cwd,
        file: globalOptions(command).file,
        envFile: ctx.io.env.TASKACCESS_FILE,
      });
      for (const warning of taskFile.warnings ?? []) ctx.io.stderr(formatFinding(ctx.err, warning));
      if (options.json) {
        ctx.io.stdout(
          stringifyJson({
            file: taskFile.path,
            tasks: taskFile.tasks.map((task) => ({
              name: task.name,
              description: task.description ?? null,
              role: task.role,
              durationSeconds: task.durationSeconds,
              timeoutSeconds: task.timeoutSeconds ?? null,
              params: task.params.map((param) => param.name),
            })),
          }),
        );
        return;
      }
      const rows = taskFile.tasks.map((task) => [
        task.name,
        task.description ?? "",
        task.role,
        formatDuration(task.durationSeconds),
      ]);
      ctx.io.stdout(formatTable(ctx.out, ["TASK", "DESCRIPTION", "ROLE", "DURATION"], rows));
    });
}
