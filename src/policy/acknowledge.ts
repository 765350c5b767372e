import type { TaskDefinition } from "../task/model.js";
import type { YamlPath } from "../task/yaml-document.js";
import { suggestClosest } from "../util/suggest.js";
import type { Finding } from "./finding.js";
import { acknowledgeableRules, UNACKNOWLEDGEABLE_RULES } from "./rule-ids.js";

/** One `acknowledge` map and the part of the task file it covers (a statement, or the whole task). */
interface Scope {
  reasons: Record<string, string>;
  path: YamlPath;
}

// Applies the `acknowledge` maps of a task and its statements: each named rule's findings there
// become acknowledged warnings that refuse nothing (--strict included) but are still printed,
// by `validate`, `explain` and `run`. A statement's reason wins over the task's.
export function applyAcknowledgements(task: TaskDefinition, findings: Finding[]): Finding[] {
  const scopes = scopesOf(task);
  const applied = findings.map((finding) => {
    const reason = reasonFor(scopes, finding);
    if (reason === undefined) return finding;
    const message = `${finding.message} (acknowledged: ${reason})`;
    return { ...finding, severity: "warning" as const, acknowledged: reason, message };
  });
  return [...applied, ...scopes.flatMap((scope) => checkScope(scope, findings))];
}

// The `acknowledged` field of session.start: each acknowledged rule that had a finding, with its
// reason; nothing when none did, so that records of ordinary runs are unchanged.
export function acknowledgedField(findings: readonly Finding[]): { acknowledged?: Record<string, string> } {
  const entries = findings.flatMap((finding) =>
    finding.acknowledged === undefined ? [] : [[finding.rule, finding.acknowledged] as const],
  );
  return entries.length > 0 ? { acknowledged: Object.fromEntries(entries) } : {};
}

// Statements first, so that the narrower reason is the one shown.
function scopesOf(task: TaskDefinition): Scope[] {
  const statements = [...task.allow, ...task.deny].flatMap((statement) =>
    statement.acknowledge ? [{ reasons: statement.acknowledge, path: statement.path }] : [],
  );
  return [
    ...statements,
    ...(task.acknowledge ? [{ reasons: task.acknowledge, path: ["tasks", task.name] }] : []),
  ];
}

function reasonFor(scopes: Scope[], finding: Finding): string | undefined {
  if (UNACKNOWLEDGEABLE_RULES.includes(finding.rule)) return undefined;
  for (const scope of scopes) {
    if (covers(scope, finding) && Object.hasOwn(scope.reasons, finding.rule))
      return scope.reasons[finding.rule];
  }
  return undefined;
}

function covers(scope: Scope, finding: Finding): boolean {
  const path = finding.path ?? [];
  return scope.path.every((segment, i) => path[i] === segment);
}

// An acknowledgement must name a rule that exists, may be acknowledged, and has a finding in its scope.
function checkScope(scope: Scope, findings: Finding[]): Finding[] {
  const known = acknowledgeableRules();
  return Object.keys(scope.reasons).flatMap((rule): Finding[] => {
    const path = [...scope.path, "acknowledge", rule];
    if (!known.includes(rule)) return [unknownRule(rule, known, path)];
    if (findings.some((finding) => finding.rule === rule && covers(scope, finding))) return [];
    return [
      {
        rule: "unused-acknowledgement",
        severity: "warning",
        message: `acknowledges "${rule}", but there is no ${rule} finding here`,
        why: "a stale acknowledgement would silently accept a future finding of the same rule",
        hint: "remove it",
        path,
        atKey: true,
      },
    ];
  });
}

function unknownRule(rule: string, known: string[], path: YamlPath): Finding {
  const suggestion = suggestClosest(rule, known);
  return {
    rule: "unknown-acknowledgement",
    severity: "error",
    message: UNACKNOWLEDGEABLE_RULES.includes(rule)
      ? `"${rule}" cannot be acknowledged: STS would refuse the policy`
      : `acknowledges "${rule}", which is not a rule`,
    why: "an acknowledgement of a misspelt rule accepts nothing, and hides that from the reviewer",
    hint: suggestion ? `did you mean ${suggestion}?` : "the rules are listed in docs/task-file.md",
    path,
    atKey: true,
  };
}
