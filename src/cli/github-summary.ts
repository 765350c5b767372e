import { appendFile, readFile } from "node:fs/promises";
import type { RunPlan } from "../session/plan-run.js";
import type { RunOutcome } from "../session/run-session.js";
import type { CliContext } from "./context.js";
import { runEnding } from "./run-ending.js";

/** The table's heading and header; written once, before the first row of a step's summary. */
export const SUMMARY_HEADER = [
  "### taskaccess sessions",
  "",
  "| task | session | actor | exit | duration | revoked | log head |",
  "| --- | --- | --- | ---: | ---: | --- | --- |",
];

// In GitHub Actions, one row per session in the job summary; failing to write it only warns.
export async function appendGithubSummary(
  ctx: CliContext,
  plan: RunPlan,
  outcome: RunOutcome,
  logHead?: string | undefined,
): Promise<void> {
  // "Adding a job summary": https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#adding-a-job-summary
  const path = ctx.io.env.GITHUB_STEP_SUMMARY;
  if (!path) return;
  try {
    const existing = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return "";
      throw error;
    });
    const row = summaryRow(plan, outcome, logHead);
    const text = continuesTable(existing)
      ? `${row}\n`
      : `${blankLineAfter(existing)}${SUMMARY_HEADER.join("\n")}\n${row}\n`;
    await appendFile(path, text, "utf8");
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.io.stderr(
      `${ctx.err.yellow("warning")}: could not write the job summary ($GITHUB_STEP_SUMMARY): ${message}\n`,
    );
  }
}

// One table row: task, session name, actor, exit code (and how it ended), duration, revoked.
export function summaryRow(plan: RunPlan, outcome: RunOutcome, logHead?: string | undefined): string {
  const ending = runEnding(outcome);
  const how =
    ending.kind === "signal" ? ` (${ending.signal})` : ending.kind === "exit" ? "" : ` (${ending.kind})`;
  const revoked = outcome.revoked
    ? "yes"
    : `**NO**, valid until ${outcome.expiration?.toISOString() ?? "expiry"}; run \`taskaccess revoke --pending\``;
  const cells = [
    cell(plan.task.name),
    `\`${outcome.sessionName}\``,
    cell(plan.ci?.actor ?? plan.sourceIdentity ?? "-"),
    `${outcome.exitCode}${how}`,
    `${(outcome.durationMs / 1000).toFixed(1)}s`,
    revoked,
    logHead ? `\`${logHead}\`` : "-",
  ];
  return `| ${cells.join(" | ")} |`;
}

// The summary file already ends with this table (an earlier run of the same step): add a row only.
function continuesTable(existing: string): boolean {
  const lines = existing.replace(/\n+$/, "").split("\n");
  const header = lines.lastIndexOf(SUMMARY_HEADER[2] ?? "");
  return (
    header !== -1 && !existing.endsWith("\n\n") && lines.slice(header).every((line) => line.startsWith("|"))
  );
}

// A Markdown table must not follow a paragraph line directly.
function blankLineAfter(existing: string): string {
  if (existing === "" || existing.endsWith("\n\n")) return "";
  return existing.endsWith("\n") ? "\n" : "\n\n";
}

// Text from the environment or the task file inside a table cell: no line breaks, no markup.
function cell(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/[\\`*_[\]<>|~]/g, "\\$&");
}
