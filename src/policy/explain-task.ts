import { resolveExternalId } from "../task/external-id.js";
import type { TaskFile } from "../task/model.js";
import { findTask } from "../task/open-task-file.js";
import { resolveParams, substituteParams } from "../task/params.js";
import { analyzeTask, type TaskAnalysis } from "./analyze-task.js";

export interface TaskExplanation {
  analysis: TaskAnalysis;
  values: Record<string, string>;
  /** Parameters not given: their {{placeholders}} stay in the shown policy. */
  missing: string[];
  /** The ExternalId AssumeRole would send (placeholders of missing parameters left in); none without `externalId`. */
  externalId: string | undefined;
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
  const externalId =
    missing.length === 0
      ? resolveExternalId(taskFile, task, values)
      : task.externalId === undefined
        ? undefined
        : substituteParams(task.externalId, rendering);
  return { analysis: { ...analysis, resolved: missing.length === 0 }, values, missing, externalId };
}
