import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LogRecord } from "../../src/audit/events.js";
import { MFA_INVALID_CODE } from "../../src/sandbox/mfa.js";
import type { SessionKey } from "../../src/sandbox/state.js";
import { totp } from "../../src/sandbox/totp.js";
import {
  BASE_MFA_SERIAL,
  MFA_ROLE,
  MFA_SEED,
  PARTNER_EXTERNAL_ID,
  PARTNER_ROLE,
  worldWithAssumeConditions,
} from "../helpers/sandbox.js";
import {
  ACCOUNT,
  BIN,
  collectOutput,
  DEPLOYER,
  type E2eProject,
  expectRevoked,
  FULL_SESSION,
  lastLine,
  RECORD,
  type RunInput,
  readLog,
  readRecorded,
  sessionCredentials,
  sessionRecords,
  startProject,
  summaryPattern,
} from "./helpers.js";

// `run`'s AssumeRole options, end to end with bin/taskaccess against the sandbox: MFA (--mfa-token
// with --mfa-serial or a profile's mfa_serial, the prompt on a terminal, the refusal without one),
// the task's externalId from a parameter, and --duration. The sandbox's world gives user/base a
// virtual MFA device (RFC 6238 codes from the sandbox clock), a role that requires MFA and one
// that requires the external id tenant-42.

const TASK_FILE = `version: 1
region: eu-west-1
tasks:
  mfa-deploy:
    description: Upload a release with a role that requires MFA
    role: ${MFA_ROLE}
    duration: 1h
    allow:
      - actions: [s3:PutObject, s3:GetObject]
        resources: ["arn:aws:s3:::releases/app/1.2.3/*"]
  partner:
    description: Upload a release for one tenant, with its external id
    role: ${PARTNER_ROLE}
    params:
      tenant: { pattern: '[a-z0-9-]+', description: the customer's tenant }
    externalId: '{{tenant}}'
    allow:
      - actions: [s3:PutObject, s3:GetObject]
        resources: ["arn:aws:s3:::releases/app/1.2.3/*"]
  deploy:
    description: Upload a release
    role: ${DEPLOYER}
    duration: 1h
    allow:
      - actions: [s3:PutObject, s3:GetObject]
        resources: ["arn:aws:s3:::releases/app/1.2.3/*"]
`;

let project: E2eProject;
beforeAll(async () => {
  project = await startProject(TASK_FILE, { world: worldWithAssumeConditions() });
});
afterAll(async () => {
  await project?.close();
});
beforeEach(() => {
  project.sandbox.journal.clear();
});

// A code the device has not used: the sandbox clock moves on to the next 30-second step first.
function freshCode(): string {
  project.sandbox.clock.advance(30_000);
  return totp(MFA_SEED, project.sandbox.clock.now());
}

// Six digits that are the device's code for none of the steps around now (and, unlike 000000,
// are not part of a log's first prev hash).
function wrongCode(): string {
  const now = project.sandbox.clock.now();
  const near = new Set([-30_000, 0, 30_000].map((offset) => totp(MFA_SEED, now + offset)));
  for (let n = 314159; ; n++) if (!near.has(String(n))) return String(n);
}

const run = (input: Omit<RunInput, "params"> & { params?: Record<string, string> }) =>
  project.run({ params: {}, ...input, options: ["--isolation", "none", ...(input.options ?? [])] });

// The sandbox's record of the session a child was given.
function sandboxSession(accessKeyId: string): SessionKey {
  const record = project.sandbox.state.credentials.get(accessKeyId);
  if (record?.kind !== "session") throw new Error(`no session ${accessKeyId} in the sandbox`);
  return record;
}

function sessionsIssued(): number {
  return [...project.sandbox.state.credentials.values()].filter((record) => record.kind === "session").length;
}

// A refusal before any AWS call: no STS, IAM or S3 call at all, no session, no log, no command.
function expectNothingHappened(log: string, out: string, sessionsBefore: number): void {
  expect(project.sandbox.journal.find()).toEqual([]);
  expect(sessionsIssued()).toBe(sessionsBefore);
  expect(existsSync(log)).toBe(false);
  expect(existsSync(out)).toBe(false);
}

function startOf(records: LogRecord[]): Record<string, unknown> {
  const start = records.find((record) => record.event === "session.start");
  if (!start) throw new Error("no session.start");
  return start as unknown as Record<string, unknown>;
}

describe("MFA", () => {
  it("--mfa-serial and --mfa-token: the role that requires MFA is assumed with them, and the code is nowhere", async () => {
    const out = project.path("mfa-flag");
    const code = freshCode();
    const result = await run({
      task: "mfa-deploy",
      options: ["--mfa-serial", BASE_MFA_SERIAL, "--mfa-token", code],
      command: ["sh", RECORD, out],
    });
    expect(result.code, result.stderr).toBe(0);
    const recorded = readRecorded(out);
    expect(lastLine(result.stderr)).toMatch(summaryPattern("mfa-deploy", recorded.session, "exit 0"));
    const session = sandboxSession(recorded.accessKeyId);
    expect(session.role.arn).toBe(MFA_ROLE);
    // The MFA check is part of the AssumeRole that issued the session (issuedAt is on the second).
    expect(Math.abs((session.mfaAuthenticatedAt ?? 0) - session.issuedAt)).toBeLessThan(1000);
    const records = sessionRecords(readLog(project.logPath), recorded.session);
    expect(records.map((record) => record.event)).toEqual(FULL_SESSION);
    expect(startOf(records)).toMatchObject({
      mfaSerial: BASE_MFA_SERIAL,
      externalId: null,
      durationSeconds: 3600,
    });
    expect(readFileSync(project.logPath, "utf8")).not.toContain(code);
    expect(result.stderr).not.toContain(code);
    await expectRevoked(project, sessionCredentials(recorded));
  });

  it("mfa_serial of the profile in use (AWS_PROFILE), with --mfa-token", async () => {
    const config = join(project.dir, "mfa-config");
    const credentials = join(project.dir, "mfa-credentials");
    writeFileSync(config, `[profile mfa]\nregion = eu-west-1\nmfa_serial = ${BASE_MFA_SERIAL}\n`);
    writeFileSync(
      credentials,
      `[mfa]\naws_access_key_id = ${project.base.accessKeyId}\naws_secret_access_key = ${project.base.secretAccessKey}\n`,
    );
    const out = project.path("mfa-profile");
    const result = await run({
      task: "mfa-deploy",
      options: ["--mfa-token", freshCode()],
      command: ["sh", RECORD, out],
      env: {
        AWS_PROFILE: "mfa",
        AWS_CONFIG_FILE: config,
        AWS_SHARED_CREDENTIALS_FILE: credentials,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
      },
    });
    expect(result.code, result.stderr).toBe(0);
    const recorded = readRecorded(out);
    expect(sandboxSession(recorded.accessKeyId).mfaAuthenticatedAt).toBeDefined();
    expect(startOf(sessionRecords(readLog(project.logPath), recorded.session))).toMatchObject({
      mfaSerial: BASE_MFA_SERIAL,
      caller: null,
    });

    // The same profile without a code and without a terminal: refused before any AWS call.
    project.sandbox.journal.clear();
    const log = project.path("never.jsonl");
    const never = project.path("never");
    const before = sessionsIssued();
    const refused = await run({
      task: "mfa-deploy",
      log,
      command: ["sh", RECORD, never],
      env: {
        AWS_PROFILE: "mfa",
        AWS_CONFIG_FILE: config,
        AWS_SHARED_CREDENTIALS_FILE: credentials,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
      },
    });
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({
      code: 64,
      stderr: `error: an MFA code is needed for ${BASE_MFA_SERIAL} (mfa_serial of profile "mfa" in ${config}), and there is no terminal to ask for it\n  hint: pass --mfa-token with the six digits the device shows now, or run in a terminal to be asked for them\n`,
    });
    expectNothingHappened(log, never, before);
  });

  it("without a code and without a terminal (CI): exit 64 before any AWS call, nothing issued, nothing logged", async () => {
    const log = project.path("never.jsonl");
    const out = project.path("never");
    const before = sessionsIssued();
    const result = await run({
      task: "mfa-deploy",
      log,
      options: ["--mfa-serial", BASE_MFA_SERIAL],
      command: ["sh", RECORD, out],
    });
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 64,
      stdout: "",
      stderr: `error: an MFA code is needed for ${BASE_MFA_SERIAL} (--mfa-serial), and there is no terminal to ask for it\n  hint: pass --mfa-token with the six digits the device shows now, or run in a terminal to be asked for them\n`,
    });
    expectNothingHappened(log, out, before);
  });

  it("refuses --credentials server with MFA, and a malformed code, before any AWS call", async () => {
    const log = project.path("never.jsonl");
    const out = project.path("never");
    const before = sessionsIssued();
    const server = await run({
      task: "mfa-deploy",
      log,
      options: ["--mfa-serial", BASE_MFA_SERIAL, "--mfa-token", "123456", "--credentials", "server"],
      command: ["sh", RECORD, out],
    });
    expect({ code: server.code, stderr: server.stderr }).toEqual({
      code: 64,
      stderr:
        "error: the server credential delivery (--credentials server) cannot be used with MFA: it re-assumes the role to refresh the credentials, and each AssumeRole needs a new MFA code, which taskaccess cannot ask for while the command runs\n  hint: use --credentials env or file: the credentials then last the task's duration\n",
    });
    const malformed = await run({
      task: "mfa-deploy",
      log,
      options: ["--mfa-serial", BASE_MFA_SERIAL, "--mfa-token", "12345"],
      command: ["sh", RECORD, out],
    });
    expect({ code: malformed.code, stderr: malformed.stderr }).toEqual({
      code: 64,
      stderr:
        "error: --mfa-token is not an MFA code: STS takes exactly six digits\n  hint: give the six digits the MFA device shows now\n",
    });
    expectNothingHappened(log, out, before);
  });

  it("a wrong code: STS refuses it (exit 77), nothing is issued, and the code is in neither the log nor the error", async () => {
    const out = project.path("wrong");
    const log = project.path("wrong.jsonl");
    freshCode();
    const wrong = wrongCode();
    const before = sessionsIssued();
    const result = await run({
      task: "mfa-deploy",
      log,
      options: ["--mfa-serial", BASE_MFA_SERIAL, "--mfa-token", wrong],
      command: ["sh", RECORD, out],
    });
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 77,
      stderr: `error: Could not assume role ${MFA_ROLE}: AccessDenied: ${MFA_INVALID_CODE}\n  hint: check that ${BASE_MFA_SERIAL} is the base identity's MFA device; a code is good for one AssumeRole: wait for the device's next code and run again\n`,
    });
    expect(sessionsIssued()).toBe(before);
    expect(existsSync(out)).toBe(false);
    expect(readLog(log).map((record) => record.event)).toEqual([
      "session.start",
      "revocation.ready",
      "session.end",
    ]);
    expect(readFileSync(log, "utf8")).not.toContain(wrong);
  });

  it("a reused code: refused by STS as AWS refuses it", async () => {
    const code = freshCode();
    const first = await run({
      task: "mfa-deploy",
      options: ["--mfa-serial", BASE_MFA_SERIAL, "--mfa-token", code],
      command: ["sh", RECORD, project.path("first")],
    });
    expect(first.code, first.stderr).toBe(0);
    const again = await run({
      task: "mfa-deploy",
      options: ["--mfa-serial", BASE_MFA_SERIAL, "--mfa-token", code],
      command: ["sh", RECORD, project.path("again")],
    });
    expect(again.code).toBe(77);
    expect(again.stderr).toMatch(
      new RegExp(
        `^error: Could not assume role ${MFA_ROLE}: AccessDenied: ${MFA_INVALID_CODE.replace(/\./g, "\\.")}\n`,
      ),
    );
  });

  it("without MFA, the role whose trust policy requires it is refused (exit 77)", async () => {
    const result = await run({ task: "mfa-deploy", command: ["sh", RECORD, project.path("no-mfa")] });
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 77,
      stderr: `error: Could not assume role ${MFA_ROLE}: AccessDenied: User: arn:aws:iam::${ACCOUNT}:user/base is not authorized to perform: sts:AssumeRole on resource: ${MFA_ROLE}\n  hint: the base identity needs sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity on the role, and the role's trust policy must allow them for it\n`,
    });
  });
});

// bin/taskaccess in a pseudo-terminal (util-linux `script`), its keyboard being this test.
interface TerminalRun {
  output: () => string;
  type: (text: string) => void;
  done: Promise<{ code: number | null; output: string }>;
}

function inTerminal(argv: string[], env: Record<string, string>): TerminalRun {
  const quoted = [process.execPath, BIN, ...argv].map((word) => `'${word.replace(/'/g, "'\\''")}'`).join(" ");
  // -q no banner, -e the command's exit status, -f flush at once, -c the command; no typescript file.
  const child = spawn("script", ["-qefc", quoted, "/dev/null"], {
    cwd: project.dir,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const collected = collectOutput(child);
  let output = "";
  child.stdout?.on("data", (chunk: string) => {
    output += chunk;
  });
  return {
    output: () => output,
    type: (text) => child.stdin?.write(text),
    done: collected.done.then((result) => {
      child.stdin?.end();
      return { code: result.code, output };
    }),
  };
}

async function waitForOutput(terminal: TerminalRun, pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!pattern.test(terminal.output())) {
    if (Date.now() - started > timeoutMs) throw new Error(`no ${pattern} in:\n${terminal.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the MFA prompt on a terminal", () => {
  const prompt = `MFA code for ${BASE_MFA_SERIAL}: `;

  it("asks for the code without echoing it, then runs", async () => {
    const out = project.path("prompted");
    const terminal = inTerminal(
      project.argv({
        task: "mfa-deploy",
        params: {},
        options: ["--isolation", "none", "--mfa-serial", BASE_MFA_SERIAL],
        command: ["sh", RECORD, out],
      }),
      project.env(),
    );
    await waitForOutput(terminal, new RegExp(`${prompt.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
    const code = freshCode();
    terminal.type(`${code}\r`);
    const { code: exit, output } = await terminal.done;
    expect(exit, output).toBe(0);
    expect(output.startsWith(prompt)).toBe(true);
    expect(output).not.toContain(code);
    const recorded = readRecorded(out);
    expect(sandboxSession(recorded.accessKeyId).mfaAuthenticatedAt).toBeDefined();
    expect(lastLine(output.replace(/\r/g, ""))).toMatch(
      summaryPattern("mfa-deploy", recorded.session, "exit 0"),
    );
  });

  it("Ctrl-C at the prompt stops the run (exit 130) before any AWS call", async () => {
    const log = project.path("never.jsonl");
    const out = project.path("never");
    const before = sessionsIssued();
    const terminal = inTerminal(
      project.argv({
        task: "mfa-deploy",
        params: {},
        log,
        options: ["--isolation", "none", "--mfa-serial", BASE_MFA_SERIAL],
        command: ["sh", RECORD, out],
      }),
      project.env(),
    );
    await waitForOutput(terminal, /MFA code for .*: $/);
    terminal.type("12\u0003");
    const { code, output } = await terminal.done;
    expect({ code, output: output.replace(/\r/g, "") }).toEqual({
      code: 130,
      output: `${prompt}\nerror: interrupted by SIGINT before the command started\n`,
    });
    expectNothingHappened(log, out, before);
  });
});

describe("externalId", () => {
  it("is sent from the task's {{tenant}}, recorded in session.start, and the role is assumed", async () => {
    const out = project.path("partner");
    const result = await run({
      task: "partner",
      params: { tenant: PARTNER_EXTERNAL_ID },
      command: ["sh", RECORD, out],
    });
    expect(result.code, result.stderr).toBe(0);
    const recorded = readRecorded(out);
    expect(sandboxSession(recorded.accessKeyId).role.arn).toBe(PARTNER_ROLE);
    expect(startOf(sessionRecords(readLog(project.logPath), recorded.session))).toMatchObject({
      externalId: PARTNER_EXTERNAL_ID,
      mfaSerial: null,
      params: { tenant: PARTNER_EXTERNAL_ID },
    });
    await expectRevoked(project, sessionCredentials(recorded));
  });

  it("another tenant's id is refused by the trust policy (exit 77), with a hint about the external id", async () => {
    const result = await run({
      task: "partner",
      params: { tenant: "tenant-43" },
      command: ["sh", RECORD, project.path("other-tenant")],
    });
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 77,
      stderr: `error: Could not assume role ${PARTNER_ROLE}: AccessDenied: User: arn:aws:iam::${ACCOUNT}:user/base is not authorized to perform: sts:AssumeRole on resource: ${PARTNER_ROLE}\n  hint: the base identity needs sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity on the role, and the role's trust policy must allow them for it, with the task's externalId (a trust policy's sts:ExternalId condition compares it exactly)\n`,
    });
  });
});

describe("--duration", () => {
  it("shortens the task's duration: the credentials STS issued last exactly that long", async () => {
    const out = project.path("short");
    const result = await run({
      task: "deploy",
      options: ["--duration", "15m"],
      command: ["sh", RECORD, out],
    });
    expect(result.code, result.stderr).toBe(0);
    const recorded = readRecorded(out);
    const session = sandboxSession(recorded.accessKeyId);
    expect(session.expiration - session.issuedAt).toBe(900_000);
    expect(Date.parse(recorded.expiration)).toBe(session.expiration);
    const records = sessionRecords(readLog(project.logPath), recorded.session);
    expect(startOf(records)).toMatchObject({ durationSeconds: 900 });
  });

  it("refuses a longer one (exit 64), naming both, before any AWS call", async () => {
    const log = project.path("never.jsonl");
    const out = project.path("never");
    const before = sessionsIssued();
    const result = await run({
      task: "deploy",
      log,
      options: ["--duration", "2h"],
      command: ["sh", RECORD, out],
    });
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 64,
      stderr:
        'error: --duration 2h is longer than the duration of task "deploy", 1h: --duration can only shorten it\n  hint: a longer lifetime is a change to the task\'s `duration` in the task file\n',
    });
    const short = await run({
      task: "deploy",
      log,
      options: ["--duration", "10m"],
      command: ["sh", RECORD, out],
    });
    expect({ code: short.code, stderr: short.stderr }).toEqual({
      code: 64,
      stderr:
        "error: --duration 10m is shorter than 15m (900 s), the least STS issues credentials for\n  hint: give 15m or more, up to the task's duration 1h\n",
    });
    expectNothingHappened(log, out, before);
  });
});
