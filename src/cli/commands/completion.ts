import { Command, Option } from "commander";
import { UsageError } from "../../errors.js";
import { bashScript } from "../completion-bash.js";
import { fishScript } from "../completion-fish.js";
import { completionSpec, SHELLS, type Shell } from "../completion-spec.js";
import { zshScript } from "../completion-zsh.js";
import type { CliContext } from "../context.js";
import { globalOptions } from "../global-options.js";
import { stringifyJson } from "../json-output.js";

interface CompletionOptions {
  json?: boolean;
  tasks?: boolean;
  params?: string;
}

const INSTALL = `
Load it in the current shell, or install it:
  bash  source <(taskaccess completion bash)
        taskaccess completion bash > ~/.local/share/bash-completion/completions/taskaccess
  zsh   source <(taskaccess completion zsh)          (after compinit)
        taskaccess completion zsh > "\${fpath[1]}/_taskaccess"
  fish  taskaccess completion fish | source
        taskaccess completion fish > ~/.config/fish/completions/taskaccess.fish
Task names are read from the task file at completion time (taskaccess completion --tasks).`;

// `taskaccess completion SHELL`: tab completion of commands, flags and the task file's task names.
export function completionCommand(ctx: CliContext): Command {
  return new Command("completion")
    .description("print a shell completion script for bash, zsh or fish")
    .argument("[shell]", `the shell: ${SHELLS.join(", ")}`)
    .option("--json", "print one JSON object: { shell, script }")
    .addOption(new Option("--tasks", "print the task names, one a line (what the scripts call)").hideHelp())
    .addOption(
      new Option(
        "--params <task>",
        "print the task's parameters as name=, one a line (for --param)",
      ).hideHelp(),
    )
    .addHelpText("after", INSTALL)
    .action(async (shell: string | undefined, options: CompletionOptions, command: Command) => {
      const { openTaskFile } = await import("../../task/open-task-file.js");
      if (options.tasks || options.params !== undefined) {
        const taskFile = await openTaskFile({
          cwd: ctx.io.cwd,
          file: globalOptions(command).file,
          envFile: ctx.io.env.TASKACCESS_FILE,
        });
        if (options.tasks) for (const task of taskFile.tasks) ctx.io.stdout(`${task.name}\n`);
        const task = taskFile.tasks.find((candidate) => candidate.name === options.params);
        for (const param of task?.params ?? []) ctx.io.stdout(`${param.name}=\n`);
        return;
      }
      if (!isShell(shell)) {
        throw new UsageError(
          shell === undefined ? "name the shell to complete for" : `no completion for the shell "${shell}"`,
          `taskaccess completion ${SHELLS.join("|")}`,
        );
      }
      const program = command.parent ?? command;
      const spec = completionSpec(program);
      const script =
        shell === "bash" ? bashScript(spec) : shell === "zsh" ? zshScript(spec) : fishScript(spec);
      ctx.io.stdout(options.json ? stringifyJson({ shell, script }) : script);
    });
}

function isShell(value: string | undefined): value is Shell {
  return SHELLS.some((shell) => shell === value);
}
