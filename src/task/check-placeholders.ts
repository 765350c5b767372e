import { suggestClosest } from "../util/suggest.js";
import type { Diagnostic, SourceLocation } from "./diagnostic.js";
import type { StatementSpec, TaskDefinition } from "./model.js";
import { checkParamValue, PLACEHOLDER_PATTERN } from "./params.js";
import type { YamlPath } from "./yaml-document.js";

// Every {{name}} in a task must name a declared parameter, and a stray "{{" is a typo, not text:
// caught when the file is validated, not when the task first runs.
export function checkPlaceholders(
  task: TaskDefinition,
  locate: (path: YamlPath) => SourceLocation | undefined,
): Diagnostic[] {
  const declared = task.params.map((param) => param.name);
  const diagnostics: Diagnostic[] = [];
  for (const param of task.params) {
    const problem = param.default === undefined ? undefined : checkParamValue(param, param.default);
    if (problem) {
      diagnostics.push({
        message: `the default of ${problem}`,
        location: locate(["tasks", task.name, "params", param.name, "default"]),
      });
    }
  }
  for (const statement of [...task.allow, ...task.deny]) {
    for (const [operator, entries] of Object.entries(statement.conditions ?? {})) {
      for (const key of Object.keys(entries)) {
        if (key.includes("{{")) {
          diagnostics.push({
            message: `condition key ${JSON.stringify(key)} holds a placeholder; only resources and condition values may`,
            location: locate([...statement.path, "conditions", operator]),
          });
        }
      }
    }
  }
  for (const { path, text } of templatedStrings(task)) {
    const withoutPlaceholders = text.replace(PLACEHOLDER_PATTERN, (whole, name: string) => {
      if (!declared.includes(name)) {
        const suggestion = suggestClosest(name, declared);
        diagnostics.push({
          message: `${whole} names no declared parameter of task "${task.name}"`,
          location: locate(path),
          hint: suggestion ? `did you mean {{${suggestion}}}?` : `declare it under \`params\` with a pattern`,
        });
      }
      return "";
    });
    if (withoutPlaceholders.includes("{{") || withoutPlaceholders.includes("}}")) {
      diagnostics.push({
        message: `malformed placeholder in ${JSON.stringify(text)}`,
        location: locate(path),
        hint: "write parameters as {{name}}",
      });
    }
  }
  return diagnostics;
}

// The strings of a task where {{name}} placeholders may stand: resources, condition values and
// the external id.
export function* templatedStrings(task: TaskDefinition): Generator<{ path: YamlPath; text: string }> {
  for (const statement of [...task.allow, ...task.deny]) yield* statementStrings(statement);
  if (task.externalId !== undefined)
    yield { path: ["tasks", task.name, "externalId"], text: task.externalId };
}

function* statementStrings(statement: StatementSpec): Generator<{ path: YamlPath; text: string }> {
  for (const key of ["resources", "notResources"] as const) {
    const list = statement[key] ?? [];
    for (let i = 0; i < list.length; i++) yield { path: [...statement.path, key, i], text: list[i] ?? "" };
  }
  for (const [operator, entries] of Object.entries(statement.conditions ?? {})) {
    for (const [key, value] of Object.entries(entries)) {
      const values = Array.isArray(value) ? value : [value];
      for (let i = 0; i < values.length; i++) {
        const item = values[i];
        if (typeof item !== "string") continue;
        const path = [...statement.path, "conditions", operator, key, ...(Array.isArray(value) ? [i] : [])];
        yield { path, text: item };
      }
    }
  }
}
