import { ExitCode, TaskAccessError } from "../errors.js";
import { suggestClosest } from "../util/suggest.js";
import { type DiscoverOptions, discoverTaskFile, findTaskFile } from "./discover.js";
import { loadTaskFile } from "./load-task-file.js";
import type { TaskDefinition, TaskFile } from "./model.js";

// Discovers and loads the task file in one step, as every command that reads tasks does.
export async function openTaskFile(options: DiscoverOptions): Promise<TaskFile> {
  const location = await discoverTaskFile(options);
  return loadTaskFile(location.path, location.displayPath);
}

// For commands that work without a task file (log, revoke, gc) but honour its settings when present.
export async function openTaskFileIfPresent(options: DiscoverOptions): Promise<TaskFile | undefined> {
  const location = await findTaskFile(options);
  return location ? loadTaskFile(location.path, location.displayPath) : undefined;
}

// Looks a task up by name; an unknown name is a usage error with a suggestion.
export function findTask(taskFile: TaskFile, name: string): TaskDefinition {
  const task = taskFile.tasks.find((candidate) => candidate.name === name);
  if (task) return task;
  const names = taskFile.tasks.map((candidate) => candidate.name);
  const suggestion = suggestClosest(name, names);
  throw new TaskAccessError(`no task "${name}" in ${taskFile.path}`, {
    exitCode: ExitCode.usage,
    hint: suggestion ? `did you mean "${suggestion}"?` : `tasks in the file: ${names.join(", ")}`,
  });
}
