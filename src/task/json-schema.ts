import { toJSONSchema } from "zod/mini";
import { taskFileSchema } from "./schema.js";

// The task file's JSON Schema, emitted from the same zod schema that validates it, so editors
// (yaml-language-server) and taskaccess never disagree about what a task file may say.
export function taskFileJsonSchema(): Record<string, unknown> {
  const schema = toJSONSchema(taskFileSchema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    $id: "https://unpkg.com/taskaccess/schema/taskaccess.schema.json",
    title: "taskaccess task file",
    description: "Tasks for taskaccess: a role and exactly the access one job needs. See docs/task-file.md.",
  };
}
