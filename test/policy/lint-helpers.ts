// Shared by the rule tests of test/policy: a one-task file from a task body, and its findings.
import { analyzeTask } from "../../src/policy/analyze-task.js";
import type { Finding } from "../../src/policy/finding.js";
import { parseTaskFile } from "../../src/task/load-task-file.js";
import type { TaskDefinition, TaskFile } from "../../src/task/model.js";
import { taskFileWith } from "../helpers/task-files.js";

export const ROLE = "role: arn:aws:iam::123456789012:role/r\ndescription: test task";

export function parseOne(body: string): { file: TaskFile; task: TaskDefinition } {
  const file = parseTaskFile("taskaccess.yaml", taskFileWith(body));
  const task = file.tasks[0];
  if (!task) throw new Error("no task");
  return { file, task };
}

export function allowOne(actions: string, resources: string, extra = ""): string {
  return `${ROLE}\nallow:\n  - actions: ${actions}\n    resources: ${resources}${extra}`;
}

export async function findingsOf(body: string): Promise<Finding[]> {
  const { file, task } = parseOne(body);
  return (await analyzeTask(file, task)).findings;
}

// "severity:rule" of every finding, in report order.
export async function rulesOf(body: string): Promise<string[]> {
  return (await findingsOf(body)).map((finding) => `${finding.severity}:${finding.rule}`);
}
