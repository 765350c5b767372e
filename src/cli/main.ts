import type { Command } from "commander";
import { createChalk } from "./color.js";
import { type CliContext, type CliIo, processIo } from "./context.js";
import { createProgram } from "./program.js";
import { reportError } from "./report-error.js";

// The single exit point: runs the command and returns the process exit code; nothing else exits.
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CliContext = {
    io,
    out: createChalk(io.env, io.stdoutIsTTY),
    err: createChalk(io.env, io.stderrIsTTY),
    exitCode: 0,
    verbose: false,
  };
  const program = createProgram(ctx);
  try {
    await program.parseAsync([...argv]);
    return ctx.exitCode;
  } catch (error) {
    // `run` leaves stdout to its command, so `run --json` reports on stderr.
    const runJson = program.commands.some(
      (command) => command.name() === "run" && command.opts().json === true,
    );
    return reportError(ctx, error, wantsJson(program, argv), runJson ? "stderr" : "stdout");
  }
}

function wantsJson(program: Command, argv: readonly string[]): boolean {
  // Errors thrown before commander parsed the flags still honour --json.
  const end = argv.indexOf("--");
  const own = end === -1 ? argv : argv.slice(0, end);
  return own.includes("--json") || program.commands.some((command) => command.opts().json === true);
}
