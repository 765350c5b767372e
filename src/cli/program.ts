import { Command } from "commander";
import { ExitCode } from "../errors.js";
import { findOwnPackage } from "../util/package-root.js";
import { suggestClosest } from "../util/suggest.js";
import { completionCommand } from "./commands/completion.js";
import { demoCommand } from "./commands/demo.js";
import { doctorCommand } from "./commands/doctor.js";
import { explainCommand } from "./commands/explain.js";
import { gcCommand } from "./commands/gc.js";
import { initCommand } from "./commands/init.js";
import { listCommand } from "./commands/list.js";
import { logCommand } from "./commands/log.js";
import { revokeCommand } from "./commands/revoke.js";
import { runCommand } from "./commands/run.js";
import { sandboxCommand } from "./commands/sandbox.js";
import { validateCommand } from "./commands/validate.js";
import type { CliContext } from "./context.js";
import type { GlobalOptions } from "./global-options.js";

// Builds the commander program; a factory so tests can run the CLI in-process with their own I/O.
export function createProgram(ctx: CliContext): Command {
  const program = new Command("taskaccess")
    .description("Task-aligned AWS access: credentials bound to one task, revoked when it ends.")
    .version(findOwnPackage(import.meta.url).version, "-V, --version", "print the version")
    .option(
      "-f, --file <path>",
      "task file to use (default: taskaccess.yaml, found by walking up; or TASKACCESS_FILE)",
    )
    .option("--verbose", "print stack traces and debug detail")
    .usage("[options] [command]")
    .helpOption("-h, --help", "show help")
    .addHelpCommand(false)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.io.stdout(text),
      writeErr: (text) => ctx.io.stderr(text),
      outputError: (text, write) => write(ctx.err.red(text)),
    })
    .hook("preAction", (command) => {
      ctx.verbose = Boolean(command.optsWithGlobals<GlobalOptions>().verbose);
    });
  for (const command of [
    validateCommand(ctx),
    explainCommand(ctx),
    listCommand(ctx),
    initCommand(ctx),
    runCommand(ctx),
    logCommand(ctx),
    revokeCommand(ctx),
    gcCommand(ctx),
    sandboxCommand(ctx),
    demoCommand(ctx),
    doctorCommand(ctx),
    completionCommand(ctx),
  ]) {
    // addCommand() does not pass on exitOverride and the output streams; without them commander
    // would call process.exit() itself on a bad option and skip our error handling.
    program.addCommand(command.copyInheritedSettings(program));
    // Nested commands (log show, log verify) inherit from their parent only once it has inherited.
    for (const sub of command.commands) sub.copyInheritedSettings(command);
  }
  // [args...] and unknown options: an unknown command followed by arguments (`explian deploy
  // --param v=1`) is still an unknown command with a suggestion, not "too many arguments". Set after
  // the commands were added, so they keep commander's own checks.
  program
    .argument("[command]")
    .argument("[args...]")
    .allowUnknownOption()
    .action((command: string | undefined) => {
      if (command !== undefined) unknownCommand(program, command);
      program.outputHelp({ error: true });
      ctx.exitCode = ExitCode.usage;
    });
  return program;
}

// Fails with "unknown command" (or "unknown option", for `taskaccess --bad`) and the closest name.
function unknownCommand(program: Command, word: string): never {
  const isOption = word.startsWith("-");
  const names = isOption
    ? program.options.flatMap((option) => (option.long ? [option.long] : []))
    : program.commands.map((sub) => sub.name());
  const suggestion = suggestClosest(word, names);
  const kind = isOption ? "option" : "command";
  return program.error(
    `error: unknown ${kind} '${word}'${suggestion ? `\n(Did you mean ${suggestion}?)` : ""}`,
    { exitCode: ExitCode.usage, code: isOption ? "commander.unknownOption" : "commander.unknownCommand" },
  );
}
