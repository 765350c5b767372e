import type { ChalkInstance } from "chalk";
import type { Finding } from "../policy/finding.js";
import type { Diagnostic, SourceLocation } from "../task/diagnostic.js";
import { formatLocation } from "../task/diagnostic.js";

/** Characters of a source line shown under an error. */
const SNIPPET_WIDTH = 160;

// Compiler-style: "file:line:col: error: message", the line itself, a caret under the spot, a hint.
export function formatDiagnostic(c: ChalkInstance, diagnostic: Diagnostic, label = "error"): string {
  return formatEntry(c, c.red.bold(label), diagnostic.message, diagnostic.location, [
    diagnostic.hint ? `${c.cyan("hint")}: ${diagnostic.hint}` : undefined,
  ]);
}

// A lint or catalogue finding, with its rule id so a reader can look the rule up.
export function formatFinding(c: ChalkInstance, finding: Finding): string {
  const colour = finding.severity === "error" ? c.red.bold : c.yellow.bold;
  return formatEntry(c, colour(`${finding.severity}[${finding.rule}]`), finding.message, finding.location, [
    `${c.dim("why")}: ${finding.why}`,
    finding.hint ? `${c.cyan("hint")}: ${finding.hint}` : undefined,
  ]);
}

function formatEntry(
  c: ChalkInstance,
  label: string,
  message: string,
  location: SourceLocation | undefined,
  notes: Array<string | undefined>,
): string {
  const lines: string[] = [];
  lines.push(location ? `${c.bold(formatLocation(location))}: ${label}: ${message}` : `${label}: ${message}`);
  if (location) {
    const number = String(location.line);
    const gutter = " ".repeat(number.length);
    // A long line is shown as a window around the spot, so one line cannot flood the terminal.
    const full = location.lineText.replace(/\t/g, " ");
    const start = Math.max(0, Math.min(location.column - 1 - 40, full.length - SNIPPET_WIDTH));
    const visible = `${start > 0 ? "…" : ""}${full.slice(start, start + SNIPPET_WIDTH)}${start + SNIPPET_WIDTH < full.length ? "…" : ""}`;
    const caretAt = location.column - 1 - start + (start > 0 ? 1 : 0);
    const carets = Math.max(1, Math.min(location.length, SNIPPET_WIDTH - (location.column - 1 - start)));
    lines.push(`  ${c.dim(`${number} |`)} ${visible}`);
    lines.push(`  ${c.dim(`${gutter} |`)} ${" ".repeat(caretAt)}${c.red("^".repeat(carets))}`);
  }
  for (const note of notes) if (note) lines.push(`  ${note}`);
  return `${lines.join("\n")}\n`;
}
