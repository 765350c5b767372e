import type { CliContext } from "./context.js";

// A warning on stderr, as every command words it: the run goes on, but the user must see it.
export function warningLine(ctx: CliContext, message: string): string {
  return `${ctx.err.yellow("warning")}: ${message}\n`;
}
