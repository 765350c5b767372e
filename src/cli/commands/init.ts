import { relative } from "node:path";
import { Command } from "commander";
import type { CliContext } from "../context.js";
import { globalOptions } from "../global-options.js";
import { stringifyJson } from "../json-output.js";

// `taskaccess init`: a commented starter file to edit, rather than a blank page.
export function initCommand(ctx: CliContext): Command {
  return new Command("init")
    .description("write a commented starter taskaccess.yaml (never overwrites)")
    .option("--json", "print one JSON object: { ok, file }")
    .action(async (options: { json?: boolean }, command: Command) => {
      const { writeStarterTaskFile } = await import("../../task/write-starter.js");
      const path = await writeStarterTaskFile(ctx.io.cwd, globalOptions(command).file);
      if (options.json) return ctx.io.stdout(stringifyJson({ ok: true, file: path }));
      ctx.io.stdout(`${ctx.out.green("Wrote")} ${relative(ctx.io.cwd, path) || path}\n`);
      ctx.io.stdout("Next: edit the role and the allow list, then run `taskaccess validate`.\n");
    });
}
