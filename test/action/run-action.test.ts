// The Action's entry point as a real process against the sandbox, run as GitHub runs action.yml
// (its run step, with the INPUT_* variables of `with:`; github-runner.ts) in GitHub Actions'
// variables: what it runs, what it records, its exit code, the job summary and its outputs.
// bin/taskaccess-action runs dist/: `npm run build` first.
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SUMMARY_HEADER } from "../../src/cli/github-summary.js";
import {
  CHILD,
  type E2eProject,
  expectRevoked,
  FULL_SESSION,
  lastLine,
  readJson,
  readLog,
  runTaskaccess,
  sessionCredentials,
  sessionRecords,
  startProject,
  TASK_FILE,
} from "../e2e/helpers.js";
import { type ActionResult, runAction } from "./github-runner.js";

// TASK_FILE and a task whose parameter value may hold "=", for the params input.
const ACTION_TASK_FILE = `${TASK_FILE}  labelled:
    description: Upload one release under a label
    role: arn:aws:iam::123456789012:role/deployer
    duration: 15m
    params:
      version: { pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$' }
      label: { pattern: '^[a-z]+=[a-z0-9=]+$' }
    allow:
      - actions: [s3:PutObject]
        resources: ["arn:aws:s3:::releases/app/{{version}}/{{label}}/*"]
`;

interface ChildReport {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  session: string;
  envNames: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let project: E2eProject | undefined;
afterEach(async () => {
  await project?.close();
  project = undefined;
});

// The job's variables in GitHub Actions (fake values), the sandbox's keys as the base identity.
function githubEnv(current: E2eProject, extra: Record<string, string> = {}): Record<string, string> {
  return current.env({
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_REPOSITORY: "acme/shop",
    GITHUB_RUN_ID: "1658821493",
    GITHUB_REF: "refs/tags/v1.2.3",
    GITHUB_REF_NAME: "v1.2.3",
    GITHUB_ACTOR: "octocat",
    GITHUB_WORKSPACE: current.dir,
    GITHUB_STEP_SUMMARY: join(current.dir, "step-summary.md"),
    NODE: process.execPath,
    CHILD,
    ...extra,
  });
}

// The sandbox calls the run made: none when the Action stopped before issuing anything.
function stsCalls(current: E2eProject): string[] {
  return current.sandbox.journal
    .find({})
    .map((entry) => entry.operation)
    .filter((operation) => ["GetCallerIdentity", "AssumeRole"].includes(operation));
}

// A usage error of the Action: exit 64, the error on stderr and as an annotation, nothing run or
// issued, and exit-code the only output that is set.
function expectUsageError(current: E2eProject, result: ActionResult, message: string, hint: string) {
  expect(result.code, result.stderr).toBe(64);
  expect(result.stderr).toBe(`error: ${message}\n  hint: ${hint}\n`);
  expect(result.stdout).toBe(`::error title=taskaccess::${message}%0Ahint: ${hint}\n`);
  expect(result.actionOutputs).toEqual({
    session: "",
    "session-name": "",
    "exit-code": "64",
    revoked: "",
    "log-head": "",
  });
  expect(stsCalls(current)).toEqual([]);
  expect(existsSync(current.logPath)).toBe(false);
  expect(existsSync(join(current.dir, "step-summary.md"))).toBe(false);
}

describe("the GitHub Action", () => {
  it("runs the command in bash with the task's credentials, revokes them and sets its outputs", async () => {
    project = await startProject(ACTION_TASK_FILE);
    const out = project.path("child");
    const command = '"$NODE" "$CHILD" "$OUT"\necho "deployed $VERSION"';
    const result = await runAction(
      {
        task: "deploy",
        params: "version=1.2.3\n",
        reason: "release v1.2.3",
        command,
        log: project.logPath,
      },
      githubEnv(project, { OUT: out, VERSION: "1.2.3" }),
      project.dir,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("deployed 1.2.3\n");
    const child = readJson<ChildReport>(out);
    const records = readLog(project.logPath);
    const session = child.session;
    expect(sessionRecords(records, session).map((record) => record.event)).toEqual(FULL_SESSION);
    const start = records[0] as { params?: unknown; reason?: string; argv?: string[] };
    expect(start.params).toEqual({ version: "1.2.3" });
    expect(start.reason).toBe("release v1.2.3");
    expect(start.argv).toEqual(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command]);
    const started = records.find((record) => record.event === "process.start") as { cwd?: string };
    expect(started.cwd).toBe(project.dir);
    await expectRevoked(project, sessionCredentials(child));
    // The command never sees the Action's inputs; nothing prints a secret.
    expect(child.envNames.filter((name) => name.startsWith("INPUT_"))).toEqual([]);
    expect(result.stepEnv.INPUT_COMMAND).toBe(command);
    for (const secret of [child.secretAccessKey, child.sessionToken, project.base.secretAccessKey]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
    const verify = await runTaskaccess(project, ["log", "verify", "--log", project.logPath]);
    const head = /head ([0-9a-f]{64})/.exec(verify.stdout)?.[1];
    expect(head, verify.stdout).toMatch(/^[0-9a-f]{64}$/);
    expect(result.actionOutputs).toEqual({
      session,
      "session-name": `ta-deploy-${session}`,
      "exit-code": "0",
      revoked: "true",
      "log-head": head,
    });
    // Written with a random delimiter, in the syntax that keeps any value whole.
    expect(result.outputFile).toMatch(/^session<<(ghadelimiter_[0-9a-f-]{36})\n[a-z2-7]{12}\n\1\n/);
    expect(lastLine(result.stderr)).toMatch(
      new RegExp(
        `^taskaccess: task deploy, session ta-deploy-${session}, exit 0, \\d+\\.\\ds, access revoked`,
      ),
    );
    expect(readFileSync(join(project.dir, "step-summary.md"), "utf8").split("\n")).toEqual([
      ...SUMMARY_HEADER,
      expect.stringMatching(
        new RegExp(
          `^\\| deploy \\| \`ta-deploy-${session}\` \\| octocat \\| 0 \\| \\d+\\.\\ds \\| yes \\| \`${head}\` \\|$`,
        ),
      ),
      "",
    ]);
  });

  it("fails with the command's exit code: a failing line of the script ends it (bash -e)", async () => {
    project = await startProject(ACTION_TASK_FILE);
    const out = project.path("child");
    const after = project.path("after");
    const result = await runAction(
      {
        task: "deploy",
        params: "version=1.2.3",
        command: '"$NODE" "$CHILD" "$OUT" exit:3\necho "not reached" > "$AFTER"',
        log: project.logPath,
      },
      githubEnv(project, { OUT: out, AFTER: after }),
      project.dir,
    );
    expect(result.code, result.stderr).toBe(3);
    expect(existsSync(after)).toBe(false);
    const child = readJson<ChildReport>(out);
    await expectRevoked(project, sessionCredentials(child));
    const exit = readLog(project.logPath).find((record) => record.event === "process.exit") as
      | { code?: number }
      | undefined;
    expect(exit?.code).toBe(3);
    expect(result.actionOutputs).toMatchObject({
      session: child.session,
      "exit-code": "3",
      revoked: "true",
    });
    expect(lastLine(result.stderr)).toContain(`session ta-deploy-${child.session}, exit 3, `);
    expect(readFileSync(join(project.dir, "step-summary.md"), "utf8")).toContain(" | octocat | 3 | ");
  });

  it("a cancelled job: SIGINT to the step's process reaches taskaccess, which revokes (exit 130)", async () => {
    // GitHub's runner cancels a step with SIGINT (then SIGTERM, then SIGKILL) to the process it
    // started; action.yml's `exec` makes that process taskaccess, not a bash waiting for it.
    project = await startProject(ACTION_TASK_FILE);
    const out = project.path("child");
    const signals = project.path("signals");
    let step: ChildProcess | undefined;
    const running = runAction(
      {
        task: "deploy",
        params: "version=1.2.3",
        command: '"$NODE" "$CHILD" "$OUT" "trap:SIGINT:$SIGNALS" sleep:20000',
        log: project.logPath,
      },
      githubEnv(project, { OUT: out, SIGNALS: signals }),
      project.dir,
      (child) => {
        step = child;
      },
    );
    let ended = false;
    void running.finally(() => {
      ended = true;
    });
    const started = Date.now();
    while (!existsSync(out) && !ended && Date.now() - started < 15_000) await sleep(20);
    expect(existsSync(out), "the command started").toBe(true);
    step?.kill("SIGINT");
    const result = await Promise.race([
      running,
      sleep(12_000).then(() => {
        throw new Error("the step did not end within 12 s of SIGINT: the signal did not reach taskaccess");
      }),
    ]);
    expect(result.code, result.stderr).toBe(130);
    expect(readFileSync(signals, "utf8")).toBe("SIGINT\n");
    const child = readJson<ChildReport>(out);
    await expectRevoked(project, sessionCredentials(child));
    expect(result.actionOutputs).toMatchObject({
      session: child.session,
      "exit-code": "130",
      revoked: "true",
    });
    expect(lastLine(result.stderr)).toContain(
      `session ta-deploy-${child.session}, killed by SIGINT, exit 130, `,
    );
  });

  it("without the task input, stops before anything is issued (exit 64)", async () => {
    project = await startProject(ACTION_TASK_FILE);
    const out = project.path("child");
    const result = await runAction(
      { params: "version=1.2.3", command: '"$NODE" "$CHILD" "$OUT"', log: project.logPath },
      githubEnv(project, { OUT: out }),
      project.dir,
    );
    expectUsageError(project, result, 'input "task" is required', "with: task: <a task of the task file>");
    expect(existsSync(out)).toBe(false);
  });

  it("with a malformed params line, names the line and runs nothing (exit 64)", async () => {
    project = await startProject(ACTION_TASK_FILE);
    const out = project.path("child");
    const result = await runAction(
      {
        task: "deploy",
        params: "# the release\nversion=1.2.3\nlabel: stable",
        command: '"$NODE" "$CHILD" "$OUT"',
        log: project.logPath,
      },
      githubEnv(project, { OUT: out }),
      project.dir,
    );
    expectUsageError(
      project,
      result,
      'input "params", line 3: "label: stable" is not of the form name=value',
      "write one parameter a line, such as version=1.4.2",
    );
    expect(existsSync(out)).toBe(false);
  });

  it("passes a parameter value holding '=' whole", async () => {
    project = await startProject(ACTION_TASK_FILE);
    const out = project.path("child");
    const result = await runAction(
      {
        task: "labelled",
        params: "version=1.2.3\nlabel=env=prod=2",
        command: '"$NODE" "$CHILD" "$OUT"',
        log: project.logPath,
      },
      githubEnv(project, { OUT: out }),
      project.dir,
    );
    expect(result.code, result.stderr).toBe(0);
    const start = readLog(project.logPath)[0] as { params?: unknown };
    expect(start.params).toEqual({ version: "1.2.3", label: "env=prod=2" });
    const issued = project.sandbox.state.credentials.get(readJson<ChildReport>(out).accessKeyId);
    expect(JSON.stringify(issued?.kind === "session" ? issued.sessionPolicies : null)).toContain(
      "arn:aws:s3:::releases/app/1.2.3/env=prod=2/*",
    );
    expect(result.actionOutputs["exit-code"]).toBe("0");
  });

  it("runs in working-directory, where relative paths start", async () => {
    project = await startProject(ACTION_TASK_FILE);
    mkdirSync(join(project.dir, "app"));
    const out = project.path("child");
    const result = await runAction(
      {
        task: "deploy",
        params: "version=1.2.3",
        command: '"$NODE" "$CHILD" "$OUT"\npwd',
        "working-directory": "app",
        file: "../taskaccess.yaml",
        log: "sessions.jsonl",
      },
      githubEnv(project, { OUT: out }),
      project.dir,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${join(project.dir, "app")}\n`);
    const records = readLog(join(project.dir, "app/sessions.jsonl"));
    expect(records.map((record) => record.event)).toEqual(FULL_SESSION);
  });

  it("refuses a working-directory that is not there (exit 64)", async () => {
    project = await startProject(ACTION_TASK_FILE);
    const result = await runAction(
      { task: "deploy", params: "version=1.2.3", command: "true", "working-directory": "nowhere" },
      githubEnv(project),
      project.dir,
    );
    expectUsageError(
      project,
      result,
      'input "working-directory": "nowhere" is not a directory',
      `it is taken relative to ${project.dir}`,
    );
  });
});
