import type { ConditionValue, StatementSpec, TaskDefinition } from "../task/model.js";
import { substituteParams } from "../task/params.js";
import type { YamlPath } from "../task/yaml-document.js";

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, ConditionValue | ConditionValue[]>>;
}

export interface SessionPolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export interface RenderedPolicy {
  document: SessionPolicyDocument;
  /** Minified JSON: exactly the bytes sent to STS as the Policy parameter. */
  json: string;
  /** The task-file path of each statement, in document order. */
  statementPaths: YamlPath[];
}

// Turns a task's allow/deny lists into the session policy; same task and values, same bytes.
// Without `values`, placeholders stay as written (for validating a task before it is run).
export function renderSessionPolicy(
  task: TaskDefinition,
  values?: Readonly<Record<string, string>>,
): RenderedPolicy {
  const fill = (text: string) => (values ? substituteParams(text, values) : text);
  const statements = [
    ...task.allow.map((spec) => ({ spec, statement: renderStatement("Allow", spec, fill) })),
    ...task.deny.map((spec) => ({ spec, statement: renderStatement("Deny", spec, fill) })),
  ];
  const document: SessionPolicyDocument = {
    Version: "2012-10-17",
    Statement: statements.map((entry) => entry.statement),
  };
  return {
    document,
    json: JSON.stringify(document),
    statementPaths: statements.map((entry) => entry.spec.path),
  };
}

function renderStatement(
  effect: "Allow" | "Deny",
  spec: StatementSpec,
  fill: (text: string) => string,
): PolicyStatement {
  // Keys are written in one fixed order so that the output is byte-for-byte deterministic.
  const statement: PolicyStatement = { Effect: effect };
  if (spec.sid !== undefined) statement.Sid = spec.sid;
  if (spec.actions) statement.Action = compactList(spec.actions);
  if (spec.notActions) statement.NotAction = compactList(spec.notActions);
  if (spec.resources) statement.Resource = compactList(spec.resources.map(fill));
  if (spec.notResources) statement.NotResource = compactList(spec.notResources.map(fill));
  if (spec.conditions) statement.Condition = renderConditions(spec.conditions, fill);
  const ordered: PolicyStatement = {
    ...(statement.Sid !== undefined ? { Sid: statement.Sid } : {}),
    ...statement,
  };
  return ordered;
}

function renderConditions(
  conditions: NonNullable<StatementSpec["conditions"]>,
  fill: (text: string) => string,
): NonNullable<PolicyStatement["Condition"]> {
  const rendered: NonNullable<PolicyStatement["Condition"]> = {};
  for (const [operator, entries] of Object.entries(conditions)) {
    const block: Record<string, ConditionValue | ConditionValue[]> = {};
    for (const [key, value] of Object.entries(entries)) {
      const fillValue = (item: ConditionValue) => (typeof item === "string" ? fill(item) : item);
      block[key] = Array.isArray(value) ? compactList(value.map(fillValue)) : fillValue(value);
    }
    rendered[operator] = block;
  }
  return rendered;
}

// Drops repeats and writes a single entry as a plain string, which IAM treats the same and is shorter.
function compactList<T>(items: readonly T[]): T | T[] {
  const unique = [...new Set(items)];
  return unique.length === 1 && unique[0] !== undefined ? unique[0] : unique;
}
