import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogRecord } from "../../src/audit/events.js";
import {
  type E2eProject,
  expectRevoked,
  expectWorking,
  FIXTURES,
  lastLine,
  processesTagged,
  RECORD,
  type RunningRun,
  readJson,
  readLog,
  sessionCredentials,
  sessionRecords,
  startProject,
  TASK_FILE,
  waitForFile,
  waitForLogRecord,
} from "./helpers.js";
import {
  assertUserCanRun,
  handOver,
  type RunAs,
  restoreTraversal,
  runAsVariants,
  startAs,
} from "./unprivileged.js";

// The command `run` wraps is the adversary (issue 10). Each test is an attack a compromised deploy
// script or a prompt-injected agent would try, run as root and as an unprivileged user, with the
// default isolation; each asserts that the promise it attacks (scope, end of access, the record)
// still holds. Where a control run without isolation shows the attack working, the test also shows
// that its own detection works.

const HOSTILE = join(FIXTURES, "hostile");
/** A key the user's own ~/.aws/credentials holds: another identity the command must not find. */
const FILE_KEY_ID = "AKIAFILEPROFILE00001";
const FILE_SECRET = "fileProfileSecretKeyThatMustNeverLeak00000";
const WEB_IDENTITY_TOKEN = "eyJ.web-identity-token-that-must-never-leak.sig";

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  session: string;
}

const variants = runAsVariants();
afterAll(() => {
  restoreTraversal();
});

describe.each(variants)("the command is contained, $label", (as: RunAs) => {
  let project: E2eProject;
  let tokenFile: string;
  let otherCredentials: string;

  beforeAll(async () => {
    project = await startProject();
    // The user's own files: a [default] profile, and files named by AWS_* variables.
    mkdirSync(join(project.dir, ".aws"), { mode: 0o700 });
    writeFileSync(
      join(project.dir, ".aws", "credentials"),
      `[default]\naws_access_key_id = ${FILE_KEY_ID}\naws_secret_access_key = ${FILE_SECRET}\n`,
    );
    mkdirSync(join(project.dir, "secrets"), { mode: 0o700 });
    tokenFile = join(project.dir, "secrets", "token");
    writeFileSync(tokenFile, WEB_IDENTITY_TOKEN);
    otherCredentials = join(project.dir, "secrets", "credentials");
    writeFileSync(
      otherCredentials,
      `[default]\naws_access_key_id = ${FILE_KEY_ID}\naws_secret_access_key = ${FILE_SECRET}\n`,
    );
    mkdirSync(join(project.dir, "state"), { mode: 0o700 });
    handOver(project, as);
    assertUserCanRun(as);
  });
  afterAll(async () => {
    await project?.close();
  });

  const env = () => ({
    AWS_SHARED_CREDENTIALS_FILE: otherCredentials,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
  });

  const run = (command: string[], options: string[] = [], extra: { detached?: boolean } = {}): RunningRun =>
    startAs(project, as, { command, options, env: env() }, extra);

  const secrets = () => [
    project.base.secretAccessKey,
    project.base.accessKeyId,
    FILE_SECRET,
    WEB_IDENTITY_TOKEN,
  ];

  it("reads no base secret through /proc, ~/.aws, the files AWS_* variables name or the log", async () => {
    const out = join(project.dir, `read-${Date.now()}`);
    const result = await run([
      "sh",
      join(HOSTILE, "read-everything.sh"),
      out,
      tokenFile,
      otherCredentials,
      project.logPath,
    ]).done;
    expect(result.code, result.stderr).toBe(0);
    const seen = readFileSync(out, "utf8");
    // The reads worked: the command saw its own session's key in its own /proc entries.
    const own = /AWS_SECRET_ACCESS_KEY=(\S+)/.exec(seen)?.[1];
    expect(own).toMatch(/^[A-Za-z0-9/+]{40}$/);
    for (const secret of secrets()) expect(seen).not.toContain(secret);
    // Nothing of taskaccess or its ancestors is visible: the only processes are the command's own.
    expect(seen).not.toMatch(/bin\/taskaccess/);
    expect(seen).not.toContain('"event":"session.start"');
    // What it wrote belongs to the user outside, and the log says how the command was isolated.
    expect(statSync(out).uid).toBe(as.user?.uid ?? process.getuid?.());
    const session = /TASKACCESS_SESSION=(\S+)/.exec(seen)?.[1] ?? "";
    expect(sessionRecords(readLog(project.logPath), session)[0]).toMatchObject({
      event: "session.start",
      isolation: "namespace",
    });
  });

  it("without isolation the same command finds them (the control that shows the test can fail)", async () => {
    const out = join(project.dir, `read-none-${Date.now()}`);
    const result = await run(
      ["sh", join(HOSTILE, "read-everything.sh"), out, tokenFile, otherCredentials, project.logPath],
      ["--isolation", "none"],
    ).done;
    expect(result.code, result.stderr).toBe(0);
    const seen = readFileSync(out, "utf8");
    expect(seen).toContain(project.base.secretAccessKey);
    expect(seen).toContain(FILE_SECRET);
    expect(seen).toContain(WEB_IDENTITY_TOKEN);
  });

  it("kill -9 $PPID and its ancestors cannot stop the revocation", async () => {
    const out = join(project.dir, `kill-${Date.now()}`);
    const result = await run(["sh", join(HOSTILE, "kill-parent.sh"), out]).done;
    expect(result.code, result.stderr).toBe(0);
    expect(lastLine(result.stderr)).toMatch(
      /, exit 0, \d+\.\ds, access revoked \(AWS refused the credentials \d+\.\d s after the deny was written\)$/,
    );
    const creds = readJson<Creds & { ppid: number }>(out);
    // Inside its PID namespace its parent is the sandbox's init, which ignores the signal.
    expect(creds.ppid).toBe(1);
    expect(eventsOf(project, creds.session)).toContain("session.revoked");
    await expectRevoked(project, sessionCredentials(creds));
  });

  it("setsid, double-fork and nohup children are gone when run returns", async () => {
    const out = join(project.dir, `escape-${Date.now()}`);
    const marker = join(project.dir, `marker-${Date.now()}`);
    const tag = `escape-${process.pid}-${Date.now()}`;
    const result = await run(["sh", join(HOSTILE, "escape.sh"), out, marker, tag]).done;
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(marker), "the setsid loop ran").toBe(true);
    // Checked the moment run has returned: nothing the command started is left.
    expect(processesTagged(tag)).toEqual([]);
    const before = statSync(marker).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(statSync(marker).mtimeMs).toBe(before);
    await expectRevoked(project, sessionCredentials(readJson<Creds>(out)));
  });

  it.each([
    ["isolated", []],
    ["not isolated", ["--isolation", "none"]],
  ])("locks planted next to the log do not delay the revocation (%s)", async (_label, options) => {
    const out = join(project.dir, `plant-${Date.now()}`);
    const result = await run(
      ["sh", join(HOSTILE, "plant-locks.sh"), out, join(project.dir, "state")],
      options,
    ).done;
    expect(result.code, result.stderr).toBe(0);
    const creds = readJson<Creds>(out);
    const records = sessionRecords(readLog(project.logPath), creds.session);
    const exit = timeOf(records, "process.exit");
    const revoked = timeOf(records, "session.revoked");
    // The planted locks claimed a live holder until 2099; the old code waited 40 to 120 s on them.
    expect(revoked - exit).toBeLessThan(10_000);
    await expectRevoked(project, sessionCredentials(creds));
  });

  it("a CI cancel (SIGINT, 7.5 s, SIGTERM, 2.5 s, SIGKILL to the group) leaves the session revoked", async () => {
    const out = join(project.dir, `cancel-${Date.now()}`);
    const tag = `cancel-${process.pid}-${Date.now()}`;
    const running = run(["sh", join(HOSTILE, "slow-cleanup.sh"), out, tag], [], { detached: true });
    await waitForFile(out, 15_000, running);
    const group = running.child.pid as number;
    process.kill(group, "SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 7_500));
    process.kill(group, "SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    try {
      process.kill(-group, "SIGKILL"); // the process group the test itself started (detached)
    } catch {
      // taskaccess and its group already gone
    }
    await running.done;
    const creds = readJson<Creds>(out);
    expect(eventsOf(project, creds.session)).toContain("session.revoked");
    await expectRevoked(project, sessionCredentials(creds));
    await waitUntil(() => processesTagged(tag).length === 0, 2_000);
    expect(processesTagged(tag)).toEqual([]);
  }, 40_000);
});

describe.each(variants)("doctor where isolation works, $label", (as: RunAs) => {
  let project: E2eProject;
  beforeAll(async () => {
    project = await startProject();
    handOver(project, as);
  });
  afterAll(async () => {
    await project?.close();
  });

  it("says isolation is available (exit 0)", async () => {
    const result = await startAs(project, as, { command: [] }, { argv: ["doctor"] }).done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^isolation: available \(user, PID and mount namespaces/m);
    expect(result.stdout).toMatch(/^bubblewrap: \/\S*bwrap$/m);
  });
});

describe.each(variants)("a taskaccess killed outright, $label", (as: RunAs) => {
  let project: E2eProject;
  beforeAll(async () => {
    project = await startProject(
      TASK_FILE.replace("timeout: 1s # the minimum docs/task-file.md allows", "timeout: 2m"),
    );
    handOver(project, as);
  });
  afterAll(async () => {
    await project?.close();
  });

  it("the pre-armed deny ends its session at the task's deadline, not at STS expiry", async () => {
    const out = join(project.dir, `armed-${Date.now()}`);
    const tag = `armed-${process.pid}-${Date.now()}`;
    const running = startAs(project, as, {
      task: "deploy-timeout",
      command: ["sh", RECORD, out, "sh", "-c", `sh -c "sleep 300 # ${tag}"`],
    });
    await waitForFile(out, 15_000, running);
    const creds = readJson<Creds>(out);
    const armed = await waitForLogRecord(
      project.logPath,
      (record) => record.session === creds.session && record.event === "revocation.armed",
      running,
    );
    // As the OOM killer would: no signal taskaccess can catch, no teardown.
    running.child.kill("SIGKILL");
    await running.done;
    await waitUntil(() => processesTagged(tag).length === 0, 2_000);
    expect(processesTagged(tag), "the command died with its taskaccess").toEqual([]);
    expect(eventsOf(project, creds.session)).not.toContain("session.revoked");
    // Before the deadline the session works: the deny is armed, not in force.
    await expectWorking(project, sessionCredentials(creds), "the session before its deadline");
    if (armed.event !== "revocation.armed") throw new Error("not a revocation.armed record");
    const deadline = Date.parse(armed.activeFrom);
    expect(deadline - Date.parse(armed.time)).toBeLessThanOrEqual(120_000);
    // IAM compares aws:CurrentTime to the second, and the deny's time is the deadline rounded up.
    project.sandbox.clock.advance(deadline - project.sandbox.clock.now() + 2_000);
    await expectRevoked(project, sessionCredentials(creds), "the session after its deadline");
  });
});

describe.each(variants)("where the kernel refuses namespaces, $label", (as: RunAs) => {
  let project: E2eProject;
  beforeAll(async () => {
    project = await startProject();
    handOver(project, as);
  });
  afterAll(async () => {
    await project?.close();
  });
  /** taskaccess itself runs where no user namespace can be made (max_user_namespaces is 0 there). */
  const NO_USERNS = ["bwrap", "--unshare-user", "--disable-userns", "--dev-bind", "/", "/", "--"];
  const stsCalls = () => project.sandbox.journal.find({ accessKeyId: project.base.accessKeyId }).length;

  it("--isolation namespace refuses to run, with exit 71, before any AWS call or log line", async () => {
    const calls = stsCalls();
    const result = await startAs(
      project,
      as,
      { command: ["true"], options: ["--isolation", "namespace"] },
      { wrapper: NO_USERNS },
    ).done;
    expect(result.code, result.stderr).toBe(71);
    expect(result.stderr).toMatch(
      /^error: cannot isolate the command: bubblewrap cannot make namespaces here: /m,
    );
    expect(result.stderr).toContain("taskaccess doctor");
    expect(stsCalls()).toBe(calls);
    expect(existsSync(project.logPath) ? readLog(project.logPath) : []).toEqual([]);
  });

  it("doctor says isolation is unavailable, why, and what to do (exit 1)", async () => {
    const result = await startAs(
      project,
      as,
      { command: [] },
      { wrapper: NO_USERNS, argv: ["doctor", "--json"] },
    ).done;
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as { isolation: Record<string, unknown> };
    expect(report.isolation).toMatchObject({
      available: false,
      platform: "linux",
      bwrap: expect.stringMatching(/\/bwrap$/),
      reason: expect.stringMatching(/^bubblewrap cannot make namespaces here: /),
      hint: expect.any(String),
    });
  });

  it("auto runs the command unisolated with one warning that names what it can reach", async () => {
    const out = join(project.dir, `auto-${Date.now()}`);
    const result = await startAs(
      project,
      as,
      { command: ["sh", "-c", 'echo "$PPID" > "$0"', out] },
      { wrapper: NO_USERNS },
    ).done;
    expect(result.code, result.stderr).toBe(0);
    const warnings = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("warning: running the command without isolation"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("the base credentials");
    const start = readLog(project.logPath).find((record) => record.event === "session.start");
    expect(start).toMatchObject({ isolation: "none" });
    expect(Number(readFileSync(out, "utf8"))).toBeGreaterThan(1);
  });
});

function eventsOf(project: E2eProject, session: string): string[] {
  return sessionRecords(readLog(project.logPath), session).map((record) => record.event);
}

function timeOf(records: LogRecord[], event: string): number {
  const record = records.find((candidate) => candidate.event === event);
  expect(record, `${event} in the log`).toBeDefined();
  return Date.parse(record?.time ?? "");
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!condition() && Date.now() - started < timeoutMs)
    await new Promise((resolve) => setTimeout(resolve, 50));
}
