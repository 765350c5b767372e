// Issue 10: a task file found by walking up from the current directory could set
// `log: ~/.bash_profile`, and a parameter default with backticks then landed in the user's login
// script. The task file's `log` now names a file inside the task file's directory.
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTaskFile, parseTaskFile } from "../../src/task/load-task-file.js";
import { findLogSettingProblem, LOG_SETTING_HINT } from "../../src/task/log-setting.js";
import { TaskFileError } from "../../src/task/task-file-error.js";
import { runInProcess } from "../helpers/run-cli.js";

const TASKS = `tasks:
  t:
    description: read
    role: arn:aws:iam::123456789012:role/r
    allow:
      - actions: [s3:GetObject]
        resources: ['arn:aws:s3:::b/*']
`;

function withLog(value: string): string {
  return `version: 1\nlog: ${value}\n${TASKS}`;
}

function errorOf(action: () => unknown): TaskFileError {
  try {
    action();
  } catch (error) {
    if (error instanceof TaskFileError) return error;
    throw error;
  }
  throw new Error("expected a TaskFileError");
}

async function asyncErrorOf(action: () => Promise<unknown>): Promise<TaskFileError> {
  const error = await action().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (error instanceof TaskFileError) return error;
  throw error ?? new Error("expected a TaskFileError");
}

const REFUSED: Array<[string, RegExp]> = [
  ["~/.bash_profile", /not in a home directory \(got "~\/\.bash_profile"; a task file's ~ is not expanded\)/],
  ["'~'", /not in a home directory/],
  ["~root/x", /not in a home directory/],
  ["/etc/x", /not an absolute path \(got "\/etc\/x"\)/],
  ["'C:\\x'", /not an absolute path/],
  ["../x", /"\.\.\/x" leaves it through "\.\."/],
  ["a/../../x", /"a\/\.\.\/\.\.\/x" leaves it through "\.\."/],
  ["'a\\..\\..\\x'", /leaves it through "\.\."/],
  ["./a/..", /not the directory itself/],
];

describe("the task file's log setting, as written", () => {
  it.each(REFUSED)("refuses log: %s at its value (2:6), with a hint, exit 65", (value, message) => {
    const error = errorOf(() => parseTaskFile("taskaccess.yaml", withLog(value)));
    expect(error.exitCode).toBe(65);
    expect(error.diagnostics).toHaveLength(1);
    const [diagnostic] = error.diagnostics;
    expect(diagnostic?.message).toMatch(/^`log` must /);
    expect(diagnostic?.message).toMatch(message);
    expect(diagnostic?.location).toMatchObject({ file: "taskaccess.yaml", line: 2, column: 6 });
    expect(diagnostic?.hint).toBe(LOG_SETTING_HINT);
  });

  it("reports a bad log together with other schema errors", () => {
    const error = errorOf(() => parseTaskFile("t.yaml", `version: 2\nlog: /etc/x\n${TASKS}`));
    expect(error.diagnostics.map((d) => d.location?.line)).toEqual([1, 2]);
  });

  it.each([".taskaccess/sessions.jsonl", "sessions.jsonl", "./logs/s.jsonl", "a/../s.jsonl", "$HOME/x"])(
    "accepts log: %s",
    (value) => {
      expect(parseTaskFile("taskaccess.yaml", withLog(value)).log).toBe(value);
      expect(findLogSettingProblem(value)).toBeUndefined();
    },
  );

  it("the hint names the way to put the log elsewhere", () => {
    expect(LOG_SETTING_HINT).toBe(
      "use a path inside the project such as .taskaccess/sessions.jsonl, or --log PATH or TASKACCESS_LOG for a log elsewhere",
    );
  });
});

function project(log: string): string {
  const dir = mkdtempSync(join(tmpdir(), "taskaccess-log-"));
  writeFileSync(join(dir, "taskaccess.yaml"), withLog(log), { mode: 0o644 });
  chmodSync(join(dir, "taskaccess.yaml"), 0o644); // whatever the umask: no trust warning here
  return dir;
}

describe("the task file's log setting, on disk (loadTaskFile)", () => {
  it("accepts a log inside the directory, existing or not", async () => {
    const dir = project(".taskaccess/sessions.jsonl");
    expect((await loadTaskFile(join(dir, "taskaccess.yaml"))).log).toBe(".taskaccess/sessions.jsonl");
    mkdirSync(join(dir, ".taskaccess"));
    writeFileSync(join(dir, ".taskaccess/sessions.jsonl"), "");
    expect((await loadTaskFile(join(dir, "taskaccess.yaml"))).log).toBe(".taskaccess/sessions.jsonl");
  });

  it("refuses a directory on the way that is a symbolic link out of the project", async () => {
    const outside = mkdtempSync(join(tmpdir(), "taskaccess-outside-"));
    const dir = project("logs/sessions.jsonl");
    symlinkSync(outside, join(dir, "logs"));
    const error = await asyncErrorOf(() => loadTaskFile(join(dir, "taskaccess.yaml"), "taskaccess.yaml"));
    expect(error.exitCode).toBe(65);
    expect(error.diagnostics[0]?.message).toMatch(
      /^`log` must stay inside the task file's directory, but "logs" is a symbolic link to .*taskaccess-outside-.*, outside it$/,
    );
    expect(error.diagnostics[0]?.location).toMatchObject({ file: "taskaccess.yaml", line: 2, column: 6 });
    expect(error.diagnostics[0]?.hint).toBe(LOG_SETTING_HINT);
  });

  it("refuses a log file that is a symbolic link out of the project, or to nothing", async () => {
    const outside = mkdtempSync(join(tmpdir(), "taskaccess-outside-"));
    writeFileSync(join(outside, ".bash_profile"), "");
    const dir = project("sessions.jsonl");
    symlinkSync(join(outside, ".bash_profile"), join(dir, "sessions.jsonl"));
    const error = await asyncErrorOf(() => loadTaskFile(join(dir, "taskaccess.yaml")));
    expect(error.diagnostics[0]?.message).toMatch(
      /"sessions.jsonl" is a symbolic link to .*\.bash_profile, outside it/,
    );

    const dangling = project("sessions.jsonl");
    symlinkSync(join(outside, "not-yet"), join(dangling, "sessions.jsonl"));
    const danglingError = await asyncErrorOf(() => loadTaskFile(join(dangling, "taskaccess.yaml")));
    expect(danglingError.diagnostics[0]?.message).toMatch(
      /is a symbolic link to something that does not exist/,
    );
  });

  it("accepts a symbolic link that stays inside the project", async () => {
    const dir = project("logs/sessions.jsonl");
    mkdirSync(join(dir, "state"));
    symlinkSync(join(dir, "state"), join(dir, "logs"));
    expect((await loadTaskFile(join(dir, "taskaccess.yaml"))).log).toBe("logs/sessions.jsonl");
  });
});

describe("the task file's log setting, through the CLI", () => {
  it("validate refuses log: ~/.bash_profile with file:line:col, the hint and exit 65", async () => {
    const dir = project("~/.bash_profile");
    const result = await runInProcess(["validate"], { cwd: dir });
    expect(result.code).toBe(65);
    expect(result.stderr).toContain(
      "taskaccess.yaml:2:6: error: `log` must be a path inside the task file's directory, not in a home directory (got \"~/.bash_profile\"; a task file's ~ is not expanded)",
    );
    expect(result.stderr).toContain(`hint: ${LOG_SETTING_HINT}`);
  });

  it("a good log passes validate", async () => {
    const dir = project(".taskaccess/sessions.jsonl");
    const result = await runInProcess(["validate"], { cwd: dir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});
