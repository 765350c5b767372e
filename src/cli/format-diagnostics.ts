import type { ChalkInstance } from "chalk";
import type { Finding } from "../policy/finding.js";
import type { Diagnostic, SourceLocation } from "../task/diagnostic.js";
import { formatLocation } from "../task/diagnostic.js";

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
    const visible = location.lineText.replace(/\t/g, " ");
    lines.push(`  ${c.dim(`${number} |`)} ${visible}`);
    lines.push(
      `  ${c.dim(`${gutter} |`)} ${" ".repeat(location.column - 1)}${c.red("^".repeat(location.length))}`,
    );
  }
  for (const note of notes) if (note) lines.push(`  ${note}`);
  return `${lines.join("\n")}\n`;
}
