import { LINT_RULES } from "./lint-rules.js";

/** Rules a task may not acknowledge: STS would refuse the policy, so the task could never run. */
export const UNACKNOWLEDGEABLE_RULES: readonly string[] = ["policy-too-large", "policy-charset"];

/** The rules reported outside LINT_RULES, by the checks that need the catalogue or the policy. */
const OTHER_RULES = [
  "unknown-service",
  "unknown-action",
  "wildcard-matches-nothing",
  "wildcard-resource",
  "partial-wildcard-resource",
  "resource-type-mismatch",
  "unknown-condition-key",
  "condition-value",
];

// Every rule id a task's `acknowledge` may name; docs/task-file.md lists the same ids.
export function acknowledgeableRules(): string[] {
  return [...OTHER_RULES, ...LINT_RULES.map((rule) => rule.id)];
}
