import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { taskFileJsonSchema } from "../../src/task/json-schema.js";
import { parseTaskFile } from "../../src/task/load-task-file.js";
import { STARTER_TASK_FILE } from "../../src/task/starter-task-file.js";
import { REPO_ROOT } from "../helpers/run-cli.js";

describe("JSON Schema", () => {
  it("the committed schema/taskaccess.schema.json is what the zod schema emits (run `npm run schema`)", () => {
    const committed = readFileSync(join(REPO_ROOT, "schema/taskaccess.schema.json"), "utf8");
    expect(committed).toBe(`${JSON.stringify(taskFileJsonSchema(), null, 2)}\n`);
  });
  it("describes the top-level keys and forbids unknown ones", () => {
    const schema = taskFileJsonSchema() as {
      properties: Record<string, unknown>;
      additionalProperties: unknown;
    };
    expect(Object.keys(schema.properties).sort()).toEqual(["$schema", "log", "region", "tasks", "version"]);
    expect(schema.additionalProperties).toBe(false);
  });
});

describe("starter file and example", () => {
  it("the starter file written by init parses", () => {
    expect(parseTaskFile("taskaccess.yaml", STARTER_TASK_FILE).tasks.map((task) => task.name)).toEqual([
      "deploy",
    ]);
  });
  it("the README example file parses", () => {
    const text = readFileSync(join(REPO_ROOT, "examples/taskaccess.yaml"), "utf8");
    expect(parseTaskFile("examples/taskaccess.yaml", text).tasks[0]?.name).toBe("deploy");
  });
});
