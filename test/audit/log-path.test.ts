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
    expect(resolveLogPath({ ...all, flag: undefined, env: {}, taskFileLog: "/abs/task.jsonl" })).toBe(
      "/abs/task.jsonl",
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
  it("expands a leading ~/ that no shell expanded", () => {
    expect(resolveLogPath({ env: { TASKACCESS_LOG: "~/logs/s.jsonl" }, homedir: home, cwd })).toBe(
      join(home, "logs/s.jsonl"),
    );
    expect(
      resolveLogPath({ env: {}, taskFileLog: "~/t.jsonl", taskFileDir: "/repo", homedir: home, cwd }),
    ).toBe(join(home, "t.jsonl"));
  });
});
