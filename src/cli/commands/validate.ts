import { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { type Finding, isBlocking } from "../../policy/finding.js";
import type { CliContext } from "../context.js";
import { formatFinding } from "../format-diagnostics.js";
import { formatAnnotation, inGithubActions } from "../github-annotations.js";
import { globalOptions } from "../global-options.js";
import { findingJson, stringifyJson } from "../json-output.js";

interface ValidateOptions {
  strict?: boolean;
  json?: boolean;
}

// `taskaccess validate`: every task of the file through the schema, the catalogue and the lint rules.
export function validateCommand(ctx: CliContext): Command {
  return new Command("validate")
    .description("check every task in the task file (exit 1 on an error, or on a warning with --strict)")
    .option("--strict", "treat warnings as errors")
    .option("--json", "print one JSON object")
    .action(async (options: ValidateOptions, command: Command) => {
      const { analyzeTaskFile } = await import("../../policy/analyze-task-file.js");
      const { openTaskFile } = await import("../../task/open-task-file.js");
      const taskFile = await openTaskFile({
        cwd: ctx.io.cwd,
        file: globalOptions(command).file,
        envFile: ctx.io.env.TASKACCESS_FILE,
      });
      for (const warning of taskFile.warnings ?? []) ctx.io.stderr(formatFinding(ctx.err, warning));
      const analyses = await analyzeTaskFile(taskFile);
      const strict = Boolean(options.strict);
      const blocking = analyses.some((analysis) =>
        analysis.findings.some((finding) => isBlocking(finding, strict)),
      );
      ctx.exitCode = blocking ? ExitCode.findings : ExitCode.ok;
      if (options.json) {
        ctx.io.stdout(
          stringifyJson({
            ok: !blocking,
            file: taskFile.path,
            tasks: analyses.map((analysis) => ({
              name: analysis.task.name,
              policyCharacters: analysis.size.characters,
              policyLimit: analysis.size.limit,
              findings: analysis.findings.map(findingJson),
            })),
          }),
        );
        return;
      }
      const { out, err } = ctx;
      const annotate = inGithubActions(ctx.io.env);
      for (const analysis of analyses) {
        for (const finding of analysis.findings) {
          ctx.io.stderr(formatFinding(err, finding));
          if (annotate) ctx.io.stdout(annotationOf(ctx, finding, strict));
        }
        const errors = analysis.findings.filter((finding) => finding.severity === "error").length;
        const warnings = analysis.findings.length - errors;
        const mark = errors > 0 ? out.red("✗") : warnings > 0 ? out.yellow("!") : out.green("✓");
        const counts = [
          errors && `${errors} error${errors > 1 ? "s" : ""}`,
          warnings && `${warnings} warning${warnings > 1 ? "s" : ""}`,
        ]
          .filter(Boolean)
          .join(", ");
        ctx.io.stdout(
          `${mark} ${out.bold(analysis.task.name)}: session policy ${analysis.size.characters}/${analysis.size.limit} characters (${analysis.size.percent}%)${counts ? `, ${counts}` : ""}\n`,
        );
      }
      const summary = `${taskFile.path}: ${analyses.length} task${analyses.length === 1 ? "" : "s"} checked`;
      ctx.io.stdout(`${blocking ? out.red(`${summary}, refused`) : out.green(`${summary}, ok`)}\n`);
    });
}

// In GitHub Actions a finding also shows on its line of the task file: blocking ones as errors.
function annotationOf(ctx: CliContext, finding: Finding, strict: boolean): string {
  const text = [finding.message, `why: ${finding.why}`, ...(finding.hint ? [`hint: ${finding.hint}`] : [])];
  return formatAnnotation(
    {
      kind: isBlocking(finding, strict) ? "error" : "warning",
      message: text.join("\n"),
      location: finding.location,
      title: `taskaccess ${finding.rule}`,
    },
    ctx.io,
  );
}
