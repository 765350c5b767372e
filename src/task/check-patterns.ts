import type { Diagnostic, SourceLocation } from "./diagnostic.js";
import type { TaskDefinition } from "./model.js";
import { findBacktrackingHazard, newCheckBudget, type PatternHazard } from "./regex-safety.js";
import type { YamlPath } from "./yaml-document.js";

// Every parameter's pattern must be safe to run against a value, and a default must match its
// pattern (tested only once the pattern is known to be safe). Run once the file has passed the
// schema, so that all the patterns of a file share one checking budget.
export function checkParamPatterns(
  tasks: readonly TaskDefinition[],
  locate: (path: YamlPath) => SourceLocation | undefined,
): Diagnostic[] {
  const budget = newCheckBudget();
  const verdicts = new Map<string, PatternHazard | undefined>();
  const diagnostics: Diagnostic[] = [];
  for (const task of tasks) {
    for (const param of task.params) {
      const path = ["tasks", task.name, "params", param.name];
      if (!verdicts.has(param.pattern)) {
        verdicts.set(param.pattern, findBacktrackingHazard(param.pattern, budget));
      }
      const hazard = verdicts.get(param.pattern);
      if (hazard) {
        diagnostics.push({
          message: `${field(path, "pattern")} ${hazard.message}`,
          location: locate([...path, "pattern"]),
          hint: hazard.hint,
        });
      } else if (param.default !== undefined && !matchesWhole(param.pattern, param.default)) {
        diagnostics.push({
          message: `${field(path, "default")} does not match \`pattern\``,
          location: locate([...path, "default"]),
        });
      }
    }
  }
  return diagnostics;
}

function matchesWhole(pattern: string, value: string): boolean {
  return new RegExp(`^(?:${pattern})$`, "u").test(value);
}

function field(path: readonly string[], key: string): string {
  return `\`${[...path, key].join(".")}\``;
}
