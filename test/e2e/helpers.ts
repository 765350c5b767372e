// Helpers for the end-to-end tests of `taskaccess run`: an in-process sandbox, a temporary project
// with a task file and a session log, the real bin/taskaccess started as a separate process with
// an environment built here (nothing inherited from the test runner), and checks on what the
// sandbox says about the credentials a child saw. bin/taskaccess runs dist/: `npm run build` first.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "vitest";
import type { LogRecord } from "../../src/audit/events.js";
import { parseLogLine } from "../../src/audit/read-log.js";
import type { JournalEntry } from "../../src/sandbox/journal.js";
import type { RunningSandbox, StartSandboxOptions } from "../../src/sandbox/start-sandbox.js";
import { startSandbox } from "../../src/sandbox/start-sandbox.js";
import { type Credentials, s3Client } from "../helpers/sandbox.js";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const BIN = join(REPO_ROOT, "bin/taskaccess");
export const FIXTURES = join(import.meta.dirname, "fixtures");
/** Writes the credentials it got to $1, then execs the rest of its arguments. */
export const RECORD = join(FIXTURES, "record.sh");
/** Node child: node child.mjs OUT [trap:SIG:FILE] [sleep:MS] [exit:N]. */
export const CHILD = join(FIXTURES, "child.mjs");
export const SDK_CHILD = join(FIXTURES, "sdk-child.mjs");
export const CLI_CHILD = join(FIXTURES, "cli-child.sh");

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
export const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/deployer`;
/** The parameter every run passes: the allowed prefix is releases/app/1.2.3/. */
export const VERSION = "1.2.3";

/** The task file of every test: `deploy` (as in examples/), and the same with the minimum timeout. */
export const TASK_FILE = `version: 1
region: ${REGION}
tasks:
  deploy:
    description: Upload one release
    role: ${DEPLOYER}
    duration: 15m
    params:
      version: { pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$', description: release to upload }
    allow:
      - actions: [s3:PutObject, s3:GetObject]
        resources: ["arn:aws:s3:::releases/app/{{version}}/*"]
    tags: { team: payments }
    reason: optional
  deploy-timeout:
    description: Upload one release, stopped after one second
    role: ${DEPLOYER}
    duration: 15m
    timeout: 1s # the minimum docs/task-file.md allows
    params:
      version: { pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$', description: release to upload }
    allow:
      - actions: [s3:PutObject, s3:GetObject]
        resources: ["arn:aws:s3:::releases/app/{{version}}/*"]
    reason: optional
  needs-reason:
    description: Same as deploy, but every run must say why
    role: ${DEPLOYER}
    duration: 15m
    params:
      version: { pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$', description: release to upload }
    allow:
      - actions: [s3:PutObject]
        resources: ["arn:aws:s3:::releases/app/{{version}}/*"]
    reason: required
`;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningRun {
  child: ChildProcess;
  /** Resolves when taskaccess has exited and its output is closed. */
  done: Promise<RunResult>;
  stderr: () => string;
}

export interface RunInput {
  task?: string;
  /** --param flags; default version=VERSION. */
  params?: Record<string, string>;
  /** Options placed before the subcommand (--verbose). */
  global?: string[];
  /** More options of `run`, before --. */
  options?: string[];
  command: string[];
  /** Replaces variables of the environment built for taskaccess; undefined removes one. */
  env?: Record<string, string | undefined>;
  /** --log; default the project's log. null leaves the flag out. */
  log?: string | null;
}

export interface E2eProject {
  sandbox: RunningSandbox;
  dir: string;
  logPath: string;
  base: Credentials;
  /** The environment taskaccess gets: base keys, sandbox endpoint, region, no config, HOME = dir. */
  env: (extra?: Record<string, string | undefined>) => Record<string, string>;
  /** The argv after `node bin/taskaccess`. */
  argv: (input: RunInput) => string[];
  start: (input: RunInput) => RunningRun;
  run: (input: RunInput) => Promise<RunResult>;
  /** A fresh path in the project for a child's output. */
  path: (name: string) => string;
  close: () => Promise<void>;
}

let counter = 0;

// A sandbox with the default world (user/base, role/deployer, bucket releases) and a project
// directory holding TASK_FILE; each run is the real CLI in a separate process.
export async function startProject(
  taskFile = TASK_FILE,
  sandboxOptions: StartSandboxOptions = {},
): Promise<E2eProject> {
  const sandbox = await startSandbox({ port: 0, ...sandboxOptions });
  const user = sandbox.users[0];
  if (!user) throw new Error("the default world has no user");
  const base: Credentials = { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey };
  const dir = mkdtempSync(join(tmpdir(), "taskaccess-e2e-"));
  writeFileSync(join(dir, "taskaccess.yaml"), taskFile);
  const logPath = join(dir, "state", "sessions.jsonl");

  const env = (extra: Record<string, string | undefined> = {}): Record<string, string> => {
    const built: Record<string, string | undefined> = {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      HOME: dir,
      AWS_ACCESS_KEY_ID: base.accessKeyId,
      AWS_SECRET_ACCESS_KEY: base.secretAccessKey,
      AWS_ENDPOINT_URL: sandbox.endpoint,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      NO_COLOR: "1",
      ...extra,
    };
    const clean: Record<string, string> = {};
    for (const [name, value] of Object.entries(built)) if (value !== undefined) clean[name] = value;
    return clean;
  };

  const argv = (input: RunInput): string[] => {
    const params = input.params ?? { version: VERSION };
    const log = input.log === undefined ? logPath : input.log;
    return [
      ...(input.global ?? []),
      "run",
      input.task ?? "deploy",
      ...Object.entries(params).flatMap(([name, value]) => ["--param", `${name}=${value}`]),
      ...(log === null ? [] : ["--log", log]),
      ...(input.options ?? []),
      "--",
      ...input.command,
    ];
  };

  const start = (input: RunInput): RunningRun => {
    const child = spawn(process.execPath, [BIN, ...argv(input)], {
      cwd: dir,
      env: env(input.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = collectOutput(child);
    return { child, done: output.done, stderr: output.stderr };
  };

  return {
    sandbox,
    dir,
    logPath,
    base,
    env,
    argv,
    start,
    run: (input) => start(input).done,
    path: (name) => join(dir, `${name}-${++counter}`),
    close: async () => {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Runs another taskaccess command (log verify, revoke) with the project's environment.
export function runTaskaccess(
  project: E2eProject,
  args: string[],
  extraEnv: Record<string, string | undefined> = {},
): Promise<RunResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: project.dir,
    env: project.env(extraEnv),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return collectOutput(child).done;
}

// Collects a child's stdout and stderr as text until it closes (the stderr so far on demand).
export function collectOutput(child: ChildProcess): { done: Promise<RunResult>; stderr: () => string } {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<RunResult>((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { done, stderr: () => stderr };
}

// True when the built CLI has the subcommand (`--help` of an unknown one prints the root help).
export async function hasSubcommand(project: E2eProject, name: string): Promise<boolean> {
  const help = await runTaskaccess(project, ["--help"]);
  return new RegExp(`^\\s+${name}\\b`, "m").test(help.stdout);
}

export interface Recorded {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: string;
  session: string;
  task: string;
  /** The command's $$: inside its PID namespace when isolated, so never a pid to signal from here. */
  pid: number;
  envNames?: string[];
}

// Clean-up after a failed test: ends a run that is still going, within a few seconds. SIGTERM to
// taskaccess reaches the command's whole tree; SIGKILL takes its sandbox, and so the tree, with it.
export async function stopRun(run: RunningRun): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill("SIGTERM");
  const timeout = new Promise<"timeout">((resolvePromise) =>
    setTimeout(() => resolvePromise("timeout"), 12_000),
  );
  if ((await Promise.race([run.done, timeout])) === "timeout") run.child.kill("SIGKILL");
}

// Waits until a file exists (children write theirs with a rename, so it is then complete).
export async function waitForFile(path: string, timeoutMs = 10_000, run?: RunningRun): Promise<void> {
  const started = Date.now();
  while (!existsSync(path)) {
    if (run && run.child.exitCode !== null) {
      throw new Error(`taskaccess exited (${run.child.exitCode}) before ${path} appeared:\n${run.stderr()}`);
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`${path} did not appear within ${timeoutMs} ms${run ? `:\n${run.stderr()}` : ""}`);
    }
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 20));
  }
}

// Waits until the log has a record matching the predicate, and returns it.
export async function waitForLogRecord(
  log: string,
  predicate: (record: LogRecord) => boolean,
  running: RunningRun,
  timeoutMs = 10_000,
): Promise<LogRecord> {
  const started = Date.now();
  for (;;) {
    const found = existsSync(log) ? readLog(log).find(predicate) : undefined;
    if (found) return found;
    if (running.child.exitCode !== null) {
      throw new Error(`taskaccess exited (${running.child.exitCode}) first:\n${running.stderr()}`);
    }
    if (Date.now() - started > timeoutMs) throw new Error(`no such record in ${log}:\n${running.stderr()}`);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 10));
  }
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

export function readRecorded(path: string): Recorded {
  const recorded = readJson<Recorded>(path);
  expect(recorded.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
  expect(recorded.session).toMatch(/^[a-z2-7]{12}$/);
  return recorded;
}

export function sessionCredentials(recorded: {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}): Credentials {
  return {
    accessKeyId: recorded.accessKeyId,
    secretAccessKey: recorded.secretAccessKey,
    sessionToken: recorded.sessionToken,
  };
}

export type PutOutcome = { ok: true } | { ok: false; code: string | undefined; status: number | undefined };

// PutObject to releases/app/VERSION/<key>, the prefix the task allows: what decides whether a
// session still has its access.
export async function putAllowedObject(
  project: E2eProject,
  credentials: Credentials,
  key = `probe-${++counter}`,
): Promise<PutOutcome> {
  try {
    await s3Client(project.sandbox, credentials).send(
      new PutObjectCommand({ Bucket: "releases", Key: `app/${VERSION}/${key}`, Body: "probe" }),
    );
    return { ok: true };
  } catch (error) {
    const e = error as { Code?: string; name?: string; $metadata?: { httpStatusCode?: number } };
    return { ok: false, code: e.Code ?? e.name, status: e.$metadata?.httpStatusCode };
  }
}

// The session's credentials are refused by the sandbox with AccessDenied, and because of a
// taskaccess revoke policy (an explicit deny), not for any other reason.
export async function expectRevoked(
  project: E2eProject,
  credentials: Credentials,
  what = `session ${credentials.accessKeyId} refused after the run`,
): Promise<void> {
  expect(await putAllowedObject(project, credentials), what).toEqual({
    ok: false,
    code: "AccessDenied",
    status: 403,
  });
  const last = project.sandbox.journal
    .find({ accessKeyId: credentials.accessKeyId, operation: "PutObject" })
    .at(-1);
  expect(last?.decision).toBe("deny");
  expect(last?.reason).toMatch(/^Explicitly denied by .*"taskaccess-(revoke|armed)-\d+-/);
}

// The session's credentials still do what the task allows.
export async function expectWorking(
  project: E2eProject,
  credentials: Credentials,
  what = `session ${credentials.accessKeyId} still allowed`,
): Promise<void> {
  expect(await putAllowedObject(project, credentials), what).toEqual({ ok: true });
}

// Every line of the log, each checked to be a well-formed, newline-terminated record.
export function readLog(path: string): LogRecord[] {
  const text = readFileSync(path, "utf8");
  if (text === "") return [];
  expect(text.endsWith("\n"), `${path} ends with a newline`).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line, index) => {
      const parsed = parseLogLine(line);
      if (!parsed.ok) throw new Error(`log line ${index + 1} does not parse: ${parsed.error}\n${line}`);
      return parsed.record;
    });
}

export function sessionRecords(records: LogRecord[], session: string): LogRecord[] {
  return records.filter((record) => record.session === session);
}

/** The events a session that ran its command and was revoked writes, in order. */
export const FULL_SESSION = [
  "session.start",
  "revocation.ready",
  "credentials.issued",
  "process.start",
  "process.exit",
  "session.revoked",
  "session.end",
];

export function lastLine(text: string): string {
  return text.trimEnd().split("\n").at(-1) ?? "";
}

// The summary taskaccess ends with on stderr, for a run that was revoked.
// `confirmed` false: a run told to stop records its revocation without waiting for the refusal.
export function summaryPattern(task: string, session: string, how: string, confirmed = true): RegExp {
  const escaped = how.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const confirmation = confirmed
    ? "\\(AWS refused the credentials \\d+\\.\\d s after the deny was written\\)"
    : "\\(not confirmed\\)";
  return new RegExp(
    `^taskaccess: task ${task}, session ta-${task}-${session}, ${escaped}, \\d+\\.\\ds, access revoked ${confirmation}$`,
  );
}

export interface HeldCall {
  /** Resolves once the call has reached the sandbox and is being held (its delay step was taken). */
  arrived: (running: RunningRun, timeoutMs?: number) => Promise<void>;
  /** The journal entries of the operation since holdNextCall(): the held call's appears when it is answered. */
  answered: () => JournalEntry[];
  /** Resolves with the held call's journal entry once the sandbox has answered it. */
  settled: (timeoutMs?: number) => Promise<JournalEntry>;
}

// Makes the sandbox hold the next call to an operation ("sts:AssumeRole") for delayMs before it
// answers (its fault injection), so that a test can act while that call is known to be in flight.
// The sandbox journals a call only once it has answered; the delay step is taken when it arrives.
export function holdNextCall(project: E2eProject, operation: string, delayMs: number): HeldCall {
  const { faults, journal } = project.sandbox;
  const [, name = operation] = operation.split(":");
  const before = journal.find({ operation: name }).length;
  faults.set(operation, [{ delayMs }]);
  const answered = () => journal.find({ operation: name }).slice(before);
  const poll = async <T>(
    read: () => T | undefined,
    what: string,
    timeoutMs: number,
    running?: RunningRun,
  ) => {
    const started = Date.now();
    for (;;) {
      const value = read();
      if (value !== undefined) return value;
      if (running && (running.child.exitCode !== null || running.child.signalCode !== null)) {
        throw new Error(`taskaccess exited before ${what}:\n${running.stderr()}`);
      }
      if (Date.now() - started > timeoutMs) {
        throw new Error(`${what}: not within ${timeoutMs} ms${running ? `:\n${running.stderr()}` : ""}`);
      }
      await new Promise((resolvePromise) => setTimeout(resolvePromise, 5));
    }
  };
  return {
    arrived: async (running, timeoutMs = 15_000) => {
      await poll(
        () => (operation.toLowerCase() in faults.describe() ? undefined : true),
        `${operation} reached the sandbox`,
        timeoutMs,
        running,
      );
    },
    answered,
    settled: (timeoutMs = delayMs + 10_000) =>
      poll(() => answered()[0], `the sandbox answered the held ${operation}`, timeoutMs),
  };
}

// Every process on the machine whose command line carries the tag (read from /proc, never signalled).
export function processesTagged(tag: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      const state = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (cmdline.includes(tag) && !/\) Z /.test(state)) found.push(`${entry}: ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
