import type { TaskFile } from "../task/model.js";
import { findTask } from "../task/open-task-file.js";
import { resolveParams } from "../task/params.js";
import { analyzeTask, type TaskAnalysis } from "./analyze-task.js";

export interface TaskExplanation {
  analysis: TaskAnalysis;
  values: Record<string, string>;
  /** Parameters not given: their {{placeholders}} stay in the shown policy. */
  missing: string[];
}

// What `explain` shows: the task with the values given, checked as `run` would check them,
// except that missing parameters are allowed and left as placeholders.
export async function explainTask(
  taskFile: TaskFile,
  taskName: string,
  supplied: Readonly<Record<string, string>>,
): Promise<TaskExplanation> {
  const task = findTask(taskFile, taskName);
  const values = resolveParams(taskFile, task, supplied, { allowMissing: true });
  const missing = task.params.map((param) => param.name).filter((name) => !Object.hasOwn(values, name));
  const rendering = { ...values, ...Object.fromEntries(missing.map((name) => [name, `{{${name}}}`])) };
  const analysis = await analyzeTask(taskFile, task, rendering);
  return { analysis: { ...analysis, resolved: missing.length === 0 }, values, missing };
}
