import { formatDuration } from "../task/duration.js";
import type { StatementSpec, TaskDefinition } from "../task/model.js";
import type { YamlPath } from "../task/yaml-document.js";
import { globToRegExp } from "../util/glob.js";
import { hasBroadWildcard } from "./arn-parts.js";
import type { Finding, Severity } from "./finding.js";
import { ESCAPE_RULES } from "./rules/escape.js";

export interface LintRule {
  id: string;
  severity: Severity;
  why: string;
  check: (task: TaskDefinition) => Array<Omit<Finding, "rule" | "severity" | "why">>;
}

const ONE_HOUR = 3600;

// Actions that let a holder give itself (or another principal) more access than the task grants,
// besides those the escape-* rules report (rules/escape-groups.ts). Sources: AWS IAM User Guide
// on iam:PassRole and policy management; Rhino Security Labs, "AWS IAM Privilege Escalation".
const ESCALATION_ALWAYS = [
  "iam:PutUserPolicy",
  "iam:PutGroupPolicy",
  "iam:AttachUserPolicy",
  "iam:AttachGroupPolicy",
  "iam:CreatePolicyVersion",
  "iam:SetDefaultPolicyVersion",
  "iam:AddUserToGroup",
  "iam:DeleteUserPermissionsBoundary",
];
/** Escalation only when granted on a wildcard resource. */
const ESCALATION_ON_WILDCARD = [
  "iam:PassRole",
  "lambda:UpdateFunctionCode",
  "lambda:UpdateFunctionConfiguration",
  "ssm:SendCommand",
  "glue:UpdateDevEndpoint",
];

interface ActionRef {
  action: string;
  path: YamlPath;
  statement: StatementSpec;
}

function allowActions(task: TaskDefinition): ActionRef[] {
  return task.allow.flatMap((statement) =>
    (statement.actions ?? []).map((action, i) => ({
      action,
      path: [...statement.path, "actions", i],
      statement,
    })),
  );
}

// NotResource grants everything but the listed resources, so it counts as a wildcard here;
// a Lambda function's qualifiers (function:NAME:*) are one function, not a wildcard.
function hasWildcardResource(statement: StatementSpec): boolean {
  return statement.notResources !== undefined || (statement.resources ?? []).some(hasBroadWildcard);
}

// The lint rules, in the order they are reported; docs/task-file.md lists the same ids.
export const LINT_RULES: readonly LintRule[] = [
  {
    id: "wildcard-action",
    severity: "error",
    why: "an allow of every action on every service is not a task, it is an administrator",
    check: (task) =>
      allowActions(task)
        .filter((ref) => ref.action === "*")
        .map((ref) => ({ message: `allows every action ("${ref.action}")`, path: ref.path })),
  },
  {
    id: "service-wildcard-action",
    severity: "warning",
    why: "service:* grants every current and future action of the service, far more than one task needs",
    check: (task) =>
      allowActions(task)
        .filter((ref) => /^[^:]+:\*$/.test(ref.action))
        .map((ref) => ({
          message: `allows every ${ref.action.split(":")[0]} action ("${ref.action}")`,
          path: ref.path,
          hint: "list the actions the task calls",
        })),
  },
  {
    id: "not-action",
    severity: "error",
    why: "an Allow with NotAction grants every action except those listed, including ones AWS adds later",
    check: (task) =>
      task.allow
        .filter((statement) => statement.notActions)
        .map((statement) => ({
          message: "allow statement uses notActions",
          path: [...statement.path, "notActions"],
        })),
  },
  {
    id: "not-resource",
    severity: "warning",
    why: "an Allow with NotResource grants the actions on every resource except those listed",
    check: (task) =>
      task.allow
        .filter((statement) => statement.notResources)
        .map((statement) => ({
          message: "allow statement uses notResources",
          path: [...statement.path, "notResources"],
        })),
  },
  {
    id: "privilege-escalation",
    severity: "error",
    why: "the action lets the task grant itself or another principal more than the task allows",
    check: (task) =>
      allowActions(task).flatMap((ref) => {
        const pattern = globToRegExp(ref.action);
        const always = ESCALATION_ALWAYS.filter((action) => pattern.test(action));
        const onWildcard = hasWildcardResource(ref.statement)
          ? ESCALATION_ON_WILDCARD.filter((action) => pattern.test(action))
          : [];
        const matched = [...always, ...onWildcard];
        if (matched.length === 0) return [];
        const shown =
          matched.slice(0, 4).join(", ") + (matched.length > 4 ? `, … (${matched.length} in all)` : "");
        return [
          {
            message: `"${ref.action}" allows privilege escalation: ${shown}${onWildcard.length > 0 ? " on a wildcard resource" : ""}`,
            path: ref.path,
            hint:
              onWildcard.length > 0 && always.length === 0
                ? "name the exact resource ARNs instead of a wildcard"
                : "do this outside a task, with a reviewed change",
          },
        ];
      }),
  },
  ...ESCAPE_RULES,
  {
    id: "long-duration",
    severity: "warning",
    why: "credentials that outlive the task by hours are what taskaccess exists to avoid",
    check: (task) =>
      task.durationSeconds > ONE_HOUR
        ? [
            {
              message: `credential lifetime is ${formatDuration(task.durationSeconds)}, above 1 hour`,
              path: ["tasks", task.name, "duration"],
              hint: "use the shortest duration that covers the task; a long task can keep short credentials with `--credentials server`, which refreshes them",
            },
          ]
        : [],
  },
  {
    id: "missing-description",
    severity: "warning",
    why: "reviewers read the session log; a task with no description says nothing about its purpose",
    check: (task) =>
      task.description?.trim()
        ? []
        : [{ message: `task "${task.name}" has no description`, path: ["tasks", task.name], atKey: true }],
  },
];

// Runs every lint rule over a task.
export function lintTask(task: TaskDefinition): Finding[] {
  return LINT_RULES.flatMap((rule) =>
    rule
      .check(task)
      .map((finding) => ({ rule: rule.id, severity: rule.severity, why: rule.why, ...finding })),
  );
}
