// `--json` on the commands that got it with issue 6 (init, sandbox, demo, run; completion is in
// completion.test.ts): one machine-readable object, as README "JSON output" documents it. For
// `run`, whose stdout is the command's, that object is the last line on stderr.
// bin/taskaccess runs dist/: `npm run build` first.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, type E2eProject, lastLine, readLog, startProject } from "../e2e/helpers.js";
import { makeProject, REPO_ROOT, runCli } from "../helpers/run-cli.js";

describe("init --json", () => {
  it("prints { ok, file } and nothing else", async () => {
    const cwd = makeProject({});
    const result = await runCli(["init", "--json"], { cwd });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ok: true, file: join(cwd, "taskaccess.yaml") });
    const again = await runCli(["init", "--json"], { cwd });
    expect(again.code).toBe(64);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, exitCode: 64 });
  });
});

describe("sandbox --json", () => {
  it("prints one line of JSON once listening, and keeps running until told to stop", async () => {
    const child = spawn(process.execPath, [BIN, "sandbox", "--port", "0", "--json"], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      const started = Date.now();
      while (!stdout.includes("\n") && Date.now() - started < 15_000) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const ready = JSON.parse(stdout) as Record<string, unknown>;
      expect(ready).toEqual({
        endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        port: expect.any(Number),
        region: "eu-west-1",
        users: [
          {
            user: "arn:aws:iam::123456789012:user/base",
            accessKeyId: expect.stringMatching(/^AKIA/),
            secretAccessKey: expect.any(String),
          },
        ],
        adminTokenHeader: "x-taskaccess-sandbox-token",
        adminToken: expect.stringMatching(/^[0-9a-f]{32}$/),
      });
      const reply = await fetch(`${ready.endpoint as string}/`, { method: "POST" });
      expect(reply.status).toBeGreaterThanOrEqual(400); // unsigned: refused, but it answers
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(0);
    expect(stdout.trimEnd().split("\n")).toHaveLength(1);
  });
});

describe("demo --json", () => {
  it("tells the story on stderr and prints the result with the session log on stdout", async () => {
    const env: Record<string, string | undefined> = {};
    for (const name of Object.keys(process.env)) if (name.startsWith("AWS_")) env[name] = undefined;
    const result = await runCli(["demo", "--json"], { env });
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as { ok: boolean; records: Array<{ event: string }> };
    expect(json).toMatchObject({
      ok: true,
      runExitCode: 0,
      deniedAfter: true,
      chainOk: true,
      chainHead: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(json.records.map((record) => record.event)).toContain("session.revoked");
    expect(result.stderr).toContain("demo: ");
  });
});

describe("run --json", () => {
  let project: E2eProject;
  beforeAll(async () => {
    project = await startProject();
  });
  afterAll(async () => {
    await project.close();
  });

  it("leaves stdout to the command and ends stderr with the summary object", async () => {
    const result = await project.run({
      options: ["--json"],
      command: ["sh", "-c", "echo to stdout; echo to stderr >&2; exit 3"],
    });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("to stdout\n");
    expect(result.stderr.startsWith("to stderr\n")).toBe(true);
    const summary = JSON.parse(lastLine(result.stderr)) as Record<string, unknown>;
    const records = readLog(project.logPath);
    const end = records.at(-1) as { session: string; durationMs: number };
    expect(summary).toEqual({
      ok: false,
      task: "deploy",
      session: end.session,
      sessionName: `ta-deploy-${end.session}`,
      exitCode: 3,
      child: { code: 3, signal: null, timedOut: false },
      revoked: true,
      revocationError: null,
      expiration: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      durationMs: expect.any(Number),
      refreshes: 0,
      confirmation: { seen: 1, maxAfterMs: expect.any(Number), notSeen: 0, withinMs: 30_000, skipped: 0 },
      logHead: expect.stringMatching(/^[0-9a-f]{64}$/),
      error: null,
    });
    expect(result.stderr).not.toContain("taskaccess: task deploy");
  });

  it("says ok for a command that succeeded, and reports a timeout", async () => {
    const ok = await project.run({ options: ["--json"], command: ["true"] });
    expect(JSON.parse(lastLine(ok.stderr))).toMatchObject({ ok: true, exitCode: 0, revoked: true });
    const late = await project.run({ task: "deploy-timeout", options: ["--json"], command: ["sleep", "30"] });
    expect(JSON.parse(lastLine(late.stderr))).toMatchObject({
      ok: false,
      exitCode: 143,
      child: { code: null, signal: "SIGTERM", timedOut: true },
      revoked: true,
    });
  });

  it("reports an error before any session as { ok: false, exitCode, errors } on stderr", async () => {
    const result = await project.run({ task: "nosuch", options: ["--json"], command: ["true"] });
    expect(result.code).toBe(64);
    expect(result.stdout).toBe("");
    expect(JSON.parse(lastLine(result.stderr))).toEqual({
      ok: false,
      exitCode: 64,
      errors: [{ message: 'no task "nosuch" in taskaccess.yaml', hint: expect.any(String) }],
    });
  });

  it("--print-env --json prints the variable names as one object on stdout", async () => {
    const result = await project.run({ options: ["--print-env", "--json"], command: ["true"] });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { set: string[]; removed: string[] };
    expect(json.set).toContain("TASKACCESS_SESSION");
    expect(json.removed).toContain("AWS_SECRET_ACCESS_KEY");
  });

  it("a job summary that cannot be written is a warning; the last line is still the summary", async () => {
    const result = await project.run({
      options: ["--json"],
      command: ["true"],
      env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: project.dir },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: could not write the job summary/);
    expect(JSON.parse(lastLine(result.stderr))).toMatchObject({ ok: true, revoked: true });
  });
});
