import { mkdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode, TaskAccessError } from "../../src/errors.js";
import { discoverTaskFile } from "../../src/task/discover.js";
import { makeProject } from "../helpers/run-cli.js";

describe("discoverTaskFile", () => {
  it("walks up from the working directory like git finds .git", async () => {
    const root = realpathSync(makeProject({ "taskaccess.yaml": "version: 1\n" }));
    const deep = join(root, "a", "b");
    mkdirSync(deep, { recursive: true });
    const found = await discoverTaskFile({ cwd: deep });
    expect(found.path).toBe(join(root, "taskaccess.yaml"));
    // Two or more levels up is shown as an absolute path; one level as ../taskaccess.yaml.
    expect(found.displayPath).toBe(join(root, "taskaccess.yaml"));
    expect((await discoverTaskFile({ cwd: join(root, "a") })).displayPath).toBe(
      join("..", "taskaccess.yaml"),
    );
  });
  it("prefers --file over TASKACCESS_FILE, and both over discovery", async () => {
    const root = makeProject({ "taskaccess.yaml": "", "one.yaml": "", "two.yaml": "" });
    expect((await discoverTaskFile({ cwd: root, file: "one.yaml", envFile: "two.yaml" })).displayPath).toBe(
      "one.yaml",
    );
    expect((await discoverTaskFile({ cwd: root, envFile: "two.yaml" })).displayPath).toBe("two.yaml");
  });
  it("says where it looked and what to do when there is none", async () => {
    const root = makeProject({});
    const error = await discoverTaskFile({ cwd: root }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskAccessError);
    expect((error as TaskAccessError).exitCode).toBe(ExitCode.taskFile);
    expect((error as TaskAccessError).message).toBe(
      `no taskaccess.yaml found in ${root} or any parent directory`,
    );
  });
  it("names the source of a missing explicit file", async () => {
    const root = makeProject({});
    await expect(discoverTaskFile({ cwd: root, envFile: "nope.yaml" })).rejects.toThrow(
      "task file nope.yaml (from TASKACCESS_FILE) does not exist or is not a file",
    );
  });
});
