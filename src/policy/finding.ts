import type { SourceLocation } from "../task/diagnostic.js";
import type { YamlPath } from "../task/yaml-document.js";

export type Severity = "error" | "warning";

// One lint, catalogue or size finding: errors refuse the task, warnings are printed.
export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  /** One line on why the rule exists. */
  why: string;
  hint?: string | undefined;
  path?: YamlPath | undefined;
  /** Point at the key of `path` rather than its value (a whole task is shown by its name). */
  atKey?: boolean | undefined;
  location?: SourceLocation | undefined;
  /** The reason given in the task's `acknowledge`: the finding is reported but refuses nothing. */
  acknowledged?: string | undefined;
}

// True when a finding refuses the task (an error, or with --strict any finding not acknowledged).
export function isBlocking(finding: Finding, strict = false): boolean {
  return finding.severity === "error" || (strict && finding.acknowledged === undefined);
}
