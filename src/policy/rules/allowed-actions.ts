import type { StatementSpec, TaskDefinition } from "../../task/model.js";
import type { YamlPath } from "../../task/yaml-document.js";
import { globToRegExp } from "../../util/glob.js";

/** One place in an allow statement that grants some of the candidate actions. */
export interface Grant {
  /** The action pattern as written, or "notActions". */
  written: string;
  path: YamlPath;
  statement: StatementSpec;
  /** The candidates it grants, in candidate order. */
  matched: string[];
}

// Which of `candidates` each allow statement grants: actions with wildcards matched as IAM does
// (case-insensitive), and an Allow with notActions granting every candidate it does not exclude.
// A candidate the task denies outright (a deny on "*" with no condition) is granted nowhere.
export function grantsOf(task: TaskDefinition, all: readonly string[]): Grant[] {
  const candidates = all.filter((action) => !deniedEverywhere(task, action));
  return task.allow.flatMap((statement) => {
    if (statement.notActions) {
      const excluded = statement.notActions.map((pattern) => globToRegExp(pattern));
      const matched = candidates.filter((action) => !excluded.some((regex) => regex.test(action)));
      return matched.length > 0
        ? [{ written: "notActions", path: [...statement.path, "notActions"], statement, matched }]
        : [];
    }
    return (statement.actions ?? []).flatMap((written, i) => {
      const regex = globToRegExp(written);
      const matched = candidates.filter((action) => regex.test(action));
      return matched.length > 0
        ? [{ written, path: [...statement.path, "actions", i], statement, matched }]
        : [];
    });
  });
}

function deniedEverywhere(task: TaskDefinition, action: string): boolean {
  return task.deny.some(
    (statement) =>
      statement.conditions === undefined &&
      (statement.resources ?? []).includes("*") &&
      (statement.actions ?? []).some((pattern) => globToRegExp(pattern).test(action)),
  );
}

// A short list for a message: the first four names and a count of the rest.
export function listSome(names: readonly string[]): string {
  return names.slice(0, 4).join(", ") + (names.length > 4 ? `, … (${names.length} in all)` : "");
}
