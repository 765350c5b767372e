import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveLogPath } from "../../src/audit/index.js";

const home = "/home/ada";
const cwd = "/work/project";
const all = {
  flag: "flag.jsonl",
  env: { TASKACCESS_LOG: "/var/log/env.jsonl", XDG_STATE_HOME: "/state" },
  taskFileLog: "logs/task.jsonl",
  taskFileDir: "/repo",
  homedir: home,
  cwd,
};

describe("resolveLogPath", () => {
  it("prefers --log, relative to the working directory", () => {
    expect(resolveLogPath(all)).toBe("/work/project/flag.jsonl");
  });
  it("then TASKACCESS_LOG", () => {
    expect(resolveLogPath({ ...all, flag: undefined })).toBe("/var/log/env.jsonl");
  });
  it("then the task file's log, relative to the task file's directory", () => {
    expect(resolveLogPath({ ...all, flag: undefined, env: { XDG_STATE_HOME: "/state" } })).toBe(
      "/repo/logs/task.jsonl",
    );
    expect(resolveLogPath({ ...all, flag: undefined, env: {}, taskFileLog: "a/../logs/t.jsonl" })).toBe(
      "/repo/logs/t.jsonl",
    );
  });
  // The task-file reader refuses these (src/task/log-setting.ts); reaching here would be a bug.
  it.each(["/abs/task.jsonl", "~/t.jsonl", "../x", "a/../../x", "."])(
    "never puts the task file's log %s outside the task file's directory",
    (taskFileLog) => {
      expect(() => resolveLogPath({ ...all, flag: undefined, env: {}, taskFileLog })).toThrow(
        /internal: the task file's log setting .* is not inside \/repo/,
      );
    },
  );
  it("lets --log and TASKACCESS_LOG point anywhere", () => {
    expect(resolveLogPath({ ...all, flag: "../../elsewhere/s.jsonl" })).toBe("/elsewhere/s.jsonl");
    expect(resolveLogPath({ ...all, flag: undefined, env: { TASKACCESS_LOG: "/var/log/t.jsonl" } })).toBe(
      "/var/log/t.jsonl",
    );
  });
  it("then $XDG_STATE_HOME/taskaccess/sessions.jsonl", () => {
    expect(resolveLogPath({ env: { XDG_STATE_HOME: "/state" }, homedir: home, cwd })).toBe(
      "/state/taskaccess/sessions.jsonl",
    );
  });
  it("else ~/.local/state/taskaccess/sessions.jsonl", () => {
    expect(resolveLogPath({ env: {}, homedir: home, cwd })).toBe(
      "/home/ada/.local/state/taskaccess/sessions.jsonl",
    );
  });
  it("ignores empty values and a relative XDG_STATE_HOME (the XDG spec says it is invalid)", () => {
    expect(
      resolveLogPath({
        flag: "",
        env: { TASKACCESS_LOG: "", XDG_STATE_HOME: "state" },
        taskFileLog: "",
        homedir: home,
        cwd,
      }),
    ).toBe("/home/ada/.local/state/taskaccess/sessions.jsonl");
  });
  it("expands a leading ~/ that no shell expanded, in --log and TASKACCESS_LOG", () => {
    expect(resolveLogPath({ env: { TASKACCESS_LOG: "~/logs/s.jsonl" }, homedir: home, cwd })).toBe(
      join(home, "logs/s.jsonl"),
    );
    expect(resolveLogPath({ flag: "~/f.jsonl", env: {}, homedir: home, cwd })).toBe(join(home, "f.jsonl"));
  });
});
