import type { StatementSpec, TaskDefinition } from "../../task/model.js";
import { type ActionResources, actionResources, expandAction } from "../action-details.js";
import { resourceMatchesFormat } from "../arn-match.js";
import { wildcardPositions } from "../arn-parts.js";
import type { Finding } from "../finding.js";
import { listSome } from "./allowed-actions.js";

interface WrittenAction {
  written: string;
  index: number;
  /** The catalogue actions it names; empty for "*" and unknown actions. */
  details: ActionResources[];
}

// The resource checks that need the catalogue's resource types (docs/task-file.md).
export async function checkResources(task: TaskDefinition): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const [effect, statements] of [
    ["allow", task.allow],
    ["deny", task.deny],
  ] as const) {
    for (const statement of statements) {
      const actions = await writtenActions(statement);
      findings.push(...typeMismatches(statement, actions, effect));
      if (effect === "allow")
        findings.push(...wildcardResources(statement, actions), ...partialWildcards(statement));
    }
  }
  return findings;
}

async function writtenActions(statement: StatementSpec): Promise<WrittenAction[]> {
  const written = statement.actions ?? [];
  const result: WrittenAction[] = [];
  for (const [index, action] of written.entries()) {
    const details: ActionResources[] = [];
    for (const name of await expandAction(action)) details.push(await actionResources(name));
    result.push({ written: action, index, details });
  }
  return result;
}

// wildcard-resource: "*" is a warning unless every action takes only "*" (ec2:DescribeInstances).
function wildcardResources(statement: StatementSpec, actions: WrittenAction[]): Finding[] {
  const index = (statement.resources ?? []).indexOf("*");
  if (index < 0) return [];
  const all = actions.flatMap((action) => action.details);
  const named = all.filter((details) => !details.takesStar).map((details) => details.action);
  const everything = statement.notActions !== undefined || actions.some((action) => action.written === "*");
  if (!everything && named.length === 0) return [];
  return [
    {
      rule: "wildcard-resource",
      severity: "warning",
      why: 'a "*" resource lets the task act on everything of that type in the account',
      message: `allows its actions on every resource ("*")${named.length > 0 ? `; ${listSome(named)} ${named.length === 1 ? "takes" : "take"} resource ARNs` : ""}`,
      path: [...statement.path, "resources", index],
      hint: "name the ARNs, or a prefix the task owns (actions that accept only * are the exception)",
    },
  ];
}

// partial-wildcard-resource: a wildcard where it spans accounts, regions, buckets or tables.
function partialWildcards(statement: StatementSpec): Finding[] {
  return (statement.resources ?? []).flatMap((resource, index) => {
    const positions = wildcardPositions(resource);
    if (positions.length === 0) return [];
    return [
      {
        rule: "partial-wildcard-resource",
        severity: "warning",
        why: "a wildcard in the account, region, bucket or table name matches far more than the resources of one task",
        message: `"${resource}" has a wildcard in the ${joinAnd(positions)}`,
        path: [...statement.path, "resources", index],
        hint: "name the account, region, bucket or table (a {{param}} if it varies); a wildcard after the name is fine",
      },
    ];
  });
}

// resource-type-mismatch: an action none of whose resource types any resource can match.
function typeMismatches(statement: StatementSpec, actions: WrittenAction[], effect: string): Finding[] {
  const resources = statement.resources ?? [];
  if (resources.length === 0 || resources.includes("*")) return [];
  return actions.flatMap((action) => {
    const judged = action.details.filter((details) => details.complete);
    if (
      judged.length < action.details.length ||
      judged.length === 0 ||
      judged.some((d) => matchesAny(d, resources))
    ) {
      return [];
    }
    return [
      {
        rule: "resource-type-mismatch",
        severity: "error",
        why: "an action on a resource of the wrong type is granted nothing, so the task would fail late (or a deny fail open)",
        message: `${action.written} matches none of this statement's resources, so it ${effect === "allow" ? "allows" : "denies"} nothing: ${describeTypes(action.details)}`,
        path: [...statement.path, "actions", action.index],
        hint: "give a resource of the type the action takes, or move the action to a statement with one",
      },
    ];
  });
}

function matchesAny(details: ActionResources, resources: readonly string[]): boolean {
  return resources.some(
    (resource) =>
      !resource.startsWith("arn:") ||
      details.formats.some((format) => resourceMatchesFormat(resource, format.arn)),
  );
}

function describeTypes(details: ActionResources[]): string {
  const formats = [...new Set(details.flatMap((each) => each.formats.map((format) => format.arn)))];
  if (formats.length === 0) return 'it takes only "*"';
  return `it takes ${listSome(formats)}${details.some((each) => each.takesStar) ? ' (or "*")' : ""}`;
}

function joinAnd(items: readonly string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}
