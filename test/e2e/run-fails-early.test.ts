import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  BIN,
  collectOutput,
  type E2eProject,
  RECORD,
  type RunInput,
  runTaskaccess,
  startProject,
} from "./helpers.js";

// A run that cannot be right stops before AWS is asked anything: no STS call in the sandbox's
// journal (not even GetCallerIdentity), no session in the log, and the command never starts.

let project: E2eProject;

beforeAll(async () => {
  project = await startProject();
});
afterAll(async () => {
  await project.close();
});
beforeEach(() => {
  project.sandbox.journal.clear();
});

function expectNothingHappened(out: string, log: string): void {
  expect(project.sandbox.journal.find()).toEqual([]);
  expect(project.sandbox.state.credentials.size).toBe(1); // user/base's key, and no session
  expect(existsSync(out)).toBe(false);
  expect(existsSync(log)).toBe(false);
}

const cases: Array<{ name: string; input: Omit<RunInput, "command">; code: number; message: RegExp }> = [
  {
    name: "an unknown task: exit 64",
    input: { task: "deplyo" },
    code: 64,
    message: /no task "deplyo".*\n.*did you mean "deploy"/,
  },
  {
    name: "a parameter that does not match its pattern: exit 65",
    input: { params: { version: "1.2" } },
    code: 65,
    message: /version/,
  },
  {
    name: "a parameter that would widen the resource: exit 65",
    input: { params: { version: "1.2.3/*" } },
    code: 65,
    message: /version/,
  },
  {
    name: "a missing parameter: exit 65",
    input: { params: {} },
    code: 65,
    message: /version/,
  },
  {
    name: "an unknown parameter: exit 65",
    input: { params: { version: "1.2.3", region: "us-east-1" } },
    code: 65,
    message: /region/,
  },
  {
    name: "a parameter given as something other than name=value: exit 64",
    input: { params: {}, options: ["--param", "version:1.2.3"] },
    code: 64,
    message: /name=value/,
  },
  {
    name: "no --reason for a task that requires one: exit 64",
    input: { task: "needs-reason" },
    code: 64,
    message: /requires a reason/,
  },
  {
    name: "an unknown --isolation mode: exit 64",
    input: { options: ["--isolation", "container"] },
    code: 64,
    message: /--isolation "container" is not an isolation mode/,
  },
  {
    name: "a --revoke-within outside 1s to 5m: exit 64",
    input: { options: ["--revoke-within", "0s"] },
    code: 64,
    message: /--revoke-within "0s" is not a duration from 1s to 5m/,
  },
  {
    name: "a run inside a run, without --nested: exit 64",
    input: { env: { TASKACCESS_SESSION: "abcdefghijkl", TASKACCESS_TASK: "deploy" } },
    code: 64,
    message: /already inside taskaccess session abcdefghijkl/,
  },
];

describe("refused before any AWS call", () => {
  for (const { name, input, code, message } of cases) {
    it(name, async () => {
      const out = project.path("never");
      const log = project.path("log.jsonl");
      const result = await project.run({ ...input, log, command: ["sh", RECORD, out] });
      expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code, signal: null });
      expect(result.stderr).toMatch(message);
      expectNothingHappened(out, log);
    });
  }
});

describe("--print-env", () => {
  it("lists the names the command would get and lose, never a value, and calls nothing", async () => {
    const log = project.path("log.jsonl");
    const out = project.path("never");
    const result = await project.run({
      log,
      options: ["--print-env"],
      command: ["sh", RECORD, out],
      env: { AWS_PROFILE: "inherited", AWS_SESSION_TOKEN: "inherited-session-token" },
    });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(result.stdout).toBe(
      [
        "set: AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION AWS_REGION AWS_DEFAULT_REGION AWS_EC2_METADATA_DISABLED TASKACCESS_SESSION TASKACCESS_TASK",
        "removed: AWS_ACCESS_KEY_ID AWS_CONFIG_FILE AWS_PROFILE AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SHARED_CREDENTIALS_FILE",
        "",
      ].join("\n"),
    );
    expect(result.stdout).not.toContain(project.base.accessKeyId);
    expect(result.stdout).not.toContain(project.base.secretAccessKey);
    expectNothingHappened(out, log);
  });

  it("needs no command", async () => {
    const log = project.path("log.jsonl");
    const result = await project.run({ log, options: ["--print-env"], command: [] });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^set: AWS_ACCESS_KEY_ID .*\nremoved: /);
    expect(existsSync(log)).toBe(false);
  });
});

describe("a session log that cannot be written", () => {
  it("a log path under a regular file: exit 70, nothing assumed, the command never runs", async () => {
    const file = project.path("not-a-directory");
    writeFileSync(file, "");
    const log = join(file, "sessions.jsonl");
    const out = project.path("never");
    const result = await project.run({ log, command: ["sh", RECORD, out] });
    expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 70, signal: null });
    expect(result.stderr).toMatch(/session log/);
    expect(result.stderr).not.toMatch(/^taskaccess: task/m);
    expectNothingHappened(out, log);
  });

  it.skipIf(process.getuid?.() === 0)(
    "a log in a read-only directory (mode 0500): exit 70, nothing assumed (not as root, where the mode does not stop writes)",
    async () => {
      const dir = project.path("read-only");
      mkdirSync(dir, { mode: 0o700 });
      chmodSync(dir, 0o500);
      const log = join(dir, "sessions.jsonl");
      const out = project.path("never");
      try {
        const result = await project.run({ log, command: ["sh", RECORD, out] });
        expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({
          code: 70,
          signal: null,
        });
        expectNothingHappened(out, log);
      } finally {
        chmodSync(dir, 0o700);
      }
    },
  );

  it("a log file others may write (mode 0666): exit 70, nothing assumed", async () => {
    const dir = project.path("shared");
    mkdirSync(dir, { mode: 0o700 });
    const log = join(dir, "sessions.jsonl");
    writeFileSync(log, "");
    chmodSync(log, 0o666);
    const out = project.path("never");
    const result = await project.run({ log, command: ["sh", RECORD, out] });
    expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 70, signal: null });
    expect(result.stderr).toMatch(/writable by everyone/);
    expect(project.sandbox.journal.find()).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  // A full disk, as the process sees it: prlimit's file-size limit makes the write of the
  // session.start line stop part-way (a short write, then EFBIG), as ENOSPC would.
  it.skipIf(spawnSync("prlimit", ["--version"]).status !== 0)(
    "a log that fills up part-way through the start record: exit 70, nothing assumed, the log as it was",
    async () => {
      const dir = project.path("full");
      mkdirSync(dir, { mode: 0o700 });
      const log = join(dir, "sessions.jsonl");
      const first = await project.run({ log, command: ["true"] });
      expect(first.code, first.stderr).toBe(0);
      const before = readFileSync(log);
      project.sandbox.journal.clear();
      const out = project.path("never");
      const child = spawn(
        "prlimit",
        [
          `--fsize=${before.length + 200}`,
          process.execPath,
          BIN,
          ...project.argv({ log, command: ["sh", RECORD, out] }),
        ],
        { cwd: project.dir, env: project.env(), stdio: ["ignore", "pipe", "pipe"] },
      );
      const result = await collectOutput(child).done;
      expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 70, signal: null });
      expect(result.stderr).toMatch(
        /cannot write to the session log .*: only 200 of \d+ bytes were written; nothing was recorded/,
      );
      expect(result.stderr).toMatch(/hint: the file system holding .* may be full/);
      expect(project.sandbox.journal.find()).toEqual([]);
      expect(existsSync(out)).toBe(false);
      expect(readFileSync(log).equals(before)).toBe(true);
      const verify = await runTaskaccess(project, ["log", "verify", "--log", log]);
      expect(verify.code, verify.stderr).toBe(0);
    },
  );
});
