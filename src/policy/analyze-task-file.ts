import type { TaskFile } from "../task/model.js";
import { analyzeTask, type TaskAnalysis } from "./analyze-task.js";

// Analyses every task of a file with placeholders left in: what `validate` checks.
export async function analyzeTaskFile(taskFile: TaskFile): Promise<TaskAnalysis[]> {
  const analyses: TaskAnalysis[] = [];
  for (const task of taskFile.tasks) analyses.push(await analyzeTask(taskFile, task));
  return analyses;
}
