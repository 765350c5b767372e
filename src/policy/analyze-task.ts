import type { TaskDefinition, TaskFile } from "../task/model.js";
import { applyAcknowledgements } from "./acknowledge.js";
import { checkActions } from "./action-catalogue.js";
import type { Finding } from "./finding.js";
import { lintTask } from "./lint-rules.js";
import { checkPolicySize, measurePolicy, type PolicySize } from "./policy-size.js";
import { type RenderedPolicy, renderSessionPolicy } from "./render-policy.js";
import { checkConditions } from "./rules/conditions.js";
import { checkResources } from "./rules/resource-types.js";

export interface TaskAnalysis {
  task: TaskDefinition;
  policy: RenderedPolicy;
  size: PolicySize;
  /** Ordered: errors first, then warnings, each in task-file order. */
  findings: Finding[];
  /** False when the policy was rendered with placeholders left in (no values given). */
  resolved: boolean;
}

// Everything `validate`, `explain` and `run` need to know about a task before any AWS call.
export async function analyzeTask(
  taskFile: TaskFile,
  task: TaskDefinition,
  values?: Readonly<Record<string, string>>,
): Promise<TaskAnalysis> {
  const policy = renderSessionPolicy(task, values);
  const checked = [
    ...(await checkActions(task)),
    ...lintTask(task),
    ...(await checkResources(task)),
    ...(await checkConditions(task)),
    ...checkPolicySize(policy),
  ];
  const findings = applyAcknowledgements(task, checked).map((finding) => ({
    ...finding,
    location:
      finding.location ??
      (finding.path ? taskFile.locate(finding.path, finding.atKey ? "key" : "value") : undefined),
  }));
  findings.sort((a, b) => severityRank(a) - severityRank(b) || linePosition(a) - linePosition(b));
  return { task, policy, size: measurePolicy(policy), findings, resolved: values !== undefined };
}

function severityRank(finding: Finding): number {
  return finding.severity === "error" ? 0 : 1;
}

function linePosition(finding: Finding): number {
  return finding.location ? finding.location.line * 100_000 + finding.location.column : 0;
}
