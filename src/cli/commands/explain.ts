import { Command } from "commander";
import { ExitCode } from "../../errors.js";
import type { TaskExplanation } from "../../policy/explain-task.js";
import { formatDuration } from "../../task/duration.js";
import { parseParamFlags } from "../../task/params.js";
import { collect } from "../collect.js";
import type { CliContext } from "../context.js";
import { formatFinding } from "../format-diagnostics.js";
import { globalOptions } from "../global-options.js";
import { findingJson, stringifyJson } from "../json-output.js";

interface ExplainOptions {
  param?: string[];
  json?: boolean;
}

// `taskaccess explain TASK`: what a run of the task would be granted, before anything runs.
export function explainCommand(ctx: CliContext): Command {
  return new Command("explain")
    .description("show a task resolved: its role, limits and rendered session policy, with lint findings")
    .argument("<task>", "task name")
    .option("-p, --param <name=value>", "a parameter value (repeatable)", collect)
    .option("--json", "print one JSON object")
    .action(async (taskName: string, options: ExplainOptions, command: Command) => {
      const { explainTask } = await import("../../policy/explain-task.js");
      const { openTaskFile } = await import("../../task/open-task-file.js");
      const supplied = parseParamFlags(options.param ?? []);
      const taskFile = await openTaskFile({
        cwd: ctx.io.cwd,
        file: globalOptions(command).file,
        envFile: ctx.io.env.TASKACCESS_FILE,
      });
      for (const warning of taskFile.warnings ?? []) ctx.io.stderr(formatFinding(ctx.err, warning));
      const explanation = await explainTask(taskFile, taskName, supplied);
      const hasErrors = explanation.analysis.findings.some((finding) => finding.severity === "error");
      ctx.exitCode = hasErrors ? ExitCode.findings : ExitCode.ok;
      if (options.json) ctx.io.stdout(stringifyJson(explanationJson(explanation, taskFile.path)));
      else printExplanation(ctx, explanation);
    });
}

function explanationJson(explanation: TaskExplanation, file: string): Record<string, unknown> {
  const { analysis } = explanation;
  const { task } = analysis;
  return {
    file,
    task: {
      name: task.name,
      description: task.description ?? null,
      role: task.role,
      region: task.region ?? null,
      durationSeconds: task.durationSeconds,
      timeoutSeconds: task.timeoutSeconds ?? null,
      reason: task.reason,
      tags: task.tags,
      policyArns: task.policyArns,
      externalId: explanation.externalId ?? null,
      params: task.params.map((param) => ({
        name: param.name,
        pattern: param.pattern,
        description: param.description ?? null,
        value: explanation.values[param.name] ?? null,
      })),
    },
    missingParams: explanation.missing,
    policy: analysis.policy.document,
    policyJson: analysis.policy.json,
    policySize: analysis.size,
    findings: analysis.findings.map(findingJson),
  };
}

function printExplanation(ctx: CliContext, explanation: TaskExplanation): void {
  const { out: c, io } = ctx;
  const { analysis } = explanation;
  const { task } = analysis;
  const row = (label: string, value: string) => io.stdout(`  ${c.dim(label.padEnd(11))} ${value}\n`);
  io.stdout(`${c.bold(`Task ${task.name}`)}${task.description ? ` — ${task.description}` : ""}\n`);
  row("role", task.role);
  row("region", task.region ?? c.dim("(from the environment)"));
  row("duration", `${formatDuration(task.durationSeconds)} (credential lifetime)`);
  row("timeout", task.timeoutSeconds === undefined ? c.dim("none") : formatDuration(task.timeoutSeconds));
  row("reason", task.reason === "required" ? "required (--reason)" : "optional");
  if (Object.keys(task.tags).length > 0) {
    row(
      "tags",
      Object.entries(task.tags)
        .map(([key, value]) => `${key}=${value}`)
        .join(", "),
    );
  }
  if (task.policyArns.length > 0) row("policyArns", task.policyArns.join(", "));
  if (explanation.externalId !== undefined) row("externalId", explanation.externalId);
  for (const param of task.params) {
    const value = explanation.values[param.name];
    row(
      `{{${param.name}}}`,
      `${value === undefined ? c.yellow("(not given)") : JSON.stringify(value)}  ${c.dim(`pattern ${param.pattern}`)}`,
    );
  }
  const { size } = analysis;
  const sizeText = `${size.characters} of ${size.limit} characters, ${size.percent}%`;
  io.stdout(
    `\n${c.bold("Session policy")} (${size.characters > size.limit ? c.red(sizeText) : sizeText}):\n`,
  );
  io.stdout(`${JSON.stringify(analysis.policy.document, null, 2)}\n`);
  if (explanation.missing.length > 0) {
    io.stdout(
      `${c.yellow("note")}: ${explanation.missing.map((name) => `{{${name}}}`).join(", ")} left as written; give --param to resolve\n`,
    );
  }
  if (analysis.findings.length === 0) {
    io.stdout(`\n${c.green("No findings.")}\n`);
    return;
  }
  io.stdout("\n");
  for (const finding of analysis.findings) io.stdout(formatFinding(c, finding));
}
