import type { Finding } from "../policy/finding.js";
import type { Diagnostic, SourceLocation } from "../task/diagnostic.js";

// The stable machine-readable shape of a location (docs: README "JSON output").
export function locationJson(location: SourceLocation | undefined): Record<string, unknown> {
  return location ? { file: location.file, line: location.line, column: location.column } : {};
}

// A task-file diagnostic as JSON.
export function diagnosticJson(diagnostic: Diagnostic): Record<string, unknown> {
  return {
    message: diagnostic.message,
    ...locationJson(diagnostic.location),
    ...(diagnostic.hint ? { hint: diagnostic.hint } : {}),
  };
}

// A finding as JSON.
export function findingJson(finding: Finding): Record<string, unknown> {
  return {
    rule: finding.rule,
    severity: finding.severity,
    message: finding.message,
    why: finding.why,
    ...(finding.hint ? { hint: finding.hint } : {}),
    ...(finding.acknowledged !== undefined ? { acknowledged: finding.acknowledged } : {}),
    ...locationJson(finding.location),
  };
}

// Prints one JSON object on one line set, as every --json command does.
export function stringifyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
