import { CommanderError } from "commander";
import { ExitCode, TaskAccessError } from "../errors.js";
import { TaskFileError } from "../task/task-file-error.js";
import type { CliContext } from "./context.js";
import { formatDiagnostic } from "./format-diagnostics.js";
import { formatAnnotation, inGithubActions } from "./github-annotations.js";
import { diagnosticJson, stringifyJson } from "./json-output.js";

// The one place that turns an error into output and an exit code.
export function reportError(
  ctx: CliContext,
  error: unknown,
  json: boolean,
  /** `run --json` leaves stdout to the command: its JSON goes to stderr, on one line. */
  jsonStream: "stdout" | "stderr" = "stdout",
): number {
  const c = ctx.err;
  const printJson = (value: unknown) =>
    jsonStream === "stdout"
      ? ctx.io.stdout(stringifyJson(value))
      : ctx.io.stderr(`${JSON.stringify(value)}\n`);
  if (error instanceof CommanderError) {
    // Commander has already printed its own message through configureOutput.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return ExitCode.ok;
    if (error.code === "commander.help") return ExitCode.usage;
    return ExitCode.usage;
  }
  if (error instanceof TaskFileError) {
    if (json) {
      printJson({ ok: false, exitCode: error.exitCode, errors: error.diagnostics.map(diagnosticJson) });
    } else {
      if (inGithubActions(ctx.io.env)) {
        for (const { message, hint, location } of error.diagnostics) {
          const text = hint ? `${message}\nhint: ${hint}` : message;
          ctx.io.stdout(
            formatAnnotation({ kind: "error", message: text, location, title: "taskaccess" }, ctx.io),
          );
        }
      }
      for (const diagnostic of error.diagnostics) ctx.io.stderr(formatDiagnostic(c, diagnostic));
      if (error.diagnostics.length > 1) ctx.io.stderr(`${c.red(`${error.diagnostics.length} errors`)}\n`);
      if (error.hint) ctx.io.stderr(`${c.cyan("hint")}: ${error.hint}\n`);
    }
    return error.exitCode;
  }
  if (error instanceof TaskAccessError) {
    if (json) {
      printJson({
        ok: false,
        exitCode: error.exitCode,
        errors: [{ message: error.message, ...(error.hint ? { hint: error.hint } : {}) }],
      });
    } else {
      ctx.io.stderr(`${c.red.bold("error")}: ${error.message}\n`);
      if (error.hint) ctx.io.stderr(`  ${c.cyan("hint")}: ${error.hint}\n`);
      if (ctx.verbose && error.stack) ctx.io.stderr(`${c.dim(describeStack(error))}\n`);
    }
    return error.exitCode;
  }
  // Anything else is a bug in taskaccess: say so, with the stack trace that lets someone fix it.
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  ctx.io.stderr(`${c.red.bold("internal error")}: ${detail}\n`);
  ctx.io.stderr("  this is a bug in taskaccess; please report it with the command you ran\n");
  return ExitCode.internal;
}

function describeStack(error: Error): string {
  let text = error.stack ?? "";
  let cause: unknown = error.cause;
  while (cause instanceof Error) {
    text += `\ncaused by: ${cause.stack ?? cause.message}`;
    cause = cause.cause;
  }
  return text;
}
