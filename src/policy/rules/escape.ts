import type { TaskDefinition } from "../../task/model.js";
import type { LintRule } from "../lint-rules.js";
import { grantsOf, listSome } from "./allowed-actions.js";
import { ESCAPE_GROUPS, type EscapeGroup, RUNS_CODE_UNDER_ROLE } from "./escape-groups.js";

type RuleFinding = ReturnType<LintRule["check"]>[number];

// One error rule per escape group: access that outlives or undoes the session's revocation.
export const ESCAPE_RULES: readonly LintRule[] = ESCAPE_GROUPS.map((group) => ({
  id: group.id,
  severity: "error",
  why: group.why,
  check: (task: TaskDefinition) =>
    group.id === "escape-pass-role" ? passRoleFindings(task, group) : groupFindings(task, group),
}));

function groupFindings(task: TaskDefinition, group: EscapeGroup): RuleFinding[] {
  return grantsOf(task, group.actions).map((grant) => ({
    message: `${describe(grant.written)} allows ${listSome(grant.matched)}: ${group.after}`,
    path: grant.path,
    hint: group.hint,
  }));
}

// iam:PassRole escapes only with an action that starts code under the passed role.
function passRoleFindings(task: TaskDefinition, group: EscapeGroup): RuleFinding[] {
  const runners = [...new Set(grantsOf(task, RUNS_CODE_UNDER_ROLE).flatMap((grant) => grant.matched))];
  if (runners.length === 0) return [];
  return grantsOf(task, group.actions).map((grant) => ({
    message: `${describe(grant.written)} allows iam:PassRole, and the task allows ${listSome(runners)}: ${group.after}`,
    path: grant.path,
    hint: group.hint,
  }));
}

function describe(written: string): string {
  return written === "notActions" ? "notActions" : `"${written}"`;
}
