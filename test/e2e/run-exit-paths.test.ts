import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogRecord } from "../../src/audit/events.js";
import { verifySessionLog } from "../../src/audit/verify-log.js";
import {
  CHILD,
  type E2eProject,
  expectRevoked,
  expectWorking,
  FULL_SESSION,
  holdNextCall,
  lastLine,
  RECORD,
  type Recorded,
  type RunningRun,
  readLog,
  readRecorded,
  sessionCredentials,
  sessionRecords,
  startProject,
  stopRun,
  summaryPattern,
  waitForFile,
  waitForLogRecord,
} from "./helpers.js";

// Every way a run can end: the exit code taskaccess returns, the teardown in the log, the summary
// on stderr, and the session's credentials refused afterwards. Throughout, a second session of the
// same role (another `taskaccess run`, started first and still running) must keep its access:
// revocation is per session, not per role.

let project: E2eProject;
let witness: RunningRun;
let witnessRecorded: Recorded;
let witnessGo: string;

beforeAll(async () => {
  project = await startProject();
  const out = project.path("witness");
  witnessGo = project.path("witness-go");
  witness = project.start({
    command: ["sh", RECORD, out, "sh", "-c", 'while [ ! -e "$0" ]; do sleep 0.05; done', witnessGo],
  });
  await waitForFile(out, 15_000, witness);
  witnessRecorded = readRecorded(out);
});
afterAll(async () => {
  if (witness) await stopRun(witness);
  await project.close();
});

interface Ended {
  recorded: Recorded;
  code: number | null;
  stderr: string;
  events: LogRecord[];
}

// Checks what every exit path has in common, and returns the session's records for the rest.
async function expectTornDown(
  run: { code: number | null; signal: NodeJS.Signals | null; stderr: string },
  out: string,
  task: string,
  how: string,
  exitCode: number,
  /** skipped: taskaccess itself was told to stop, and records the revocation without waiting. */
  confirmation: "seen" | "skipped" = "seen",
): Promise<Ended> {
  expect({ code: run.code, signal: run.signal }).toEqual({ code: exitCode, signal: null });
  const recorded = readRecorded(out);
  expect(lastLine(run.stderr)).toMatch(summaryPattern(task, recorded.session, how, confirmation === "seen"));
  const all = sessionRecords(readLog(project.logPath), recorded.session);
  // A task with a timeout pre-arms its deny while the command starts: once, before the revocation.
  const names = all.map((record) => record.event);
  const armed = names.indexOf("revocation.armed");
  if (task === "deploy-timeout") {
    expect(names.filter((name) => name === "revocation.armed")).toHaveLength(1);
    expect(armed).toBeGreaterThan(names.indexOf("credentials.issued"));
    expect(armed).toBeLessThan(names.indexOf("session.revoked"));
  } else {
    expect(armed).toBe(-1);
  }
  const events = all.filter((record) => record.event !== "revocation.armed");
  expect(events.map((record) => record.event)).toEqual(FULL_SESSION);
  expect(events.at(-2)).toMatchObject({
    event: "session.revoked",
    method: "inline-deny",
    policyName: expect.stringMatching(new RegExp(`^taskaccess-revoke-\\d+-ta-${task}-${recorded.session}$`)),
    confirmation,
  });
  expect(events.at(-1)).toMatchObject({ event: "session.end", exitCode, revoked: true });
  // The child's credentials are refused now; the concurrent session of the same role is not.
  await expectRevoked(project, sessionCredentials(recorded));
  await expectWorking(project, sessionCredentials(witnessRecorded));
  return { recorded, code: run.code, stderr: run.stderr, events };
}

// Waits for the session.start of a run (past the first `after` lines of the log).
async function waitForRecord(
  after: number,
  event: "session.start",
  running: RunningRun,
  log = project.logPath,
): Promise<{ session: string; sessionName: string }> {
  const found = await waitForLogRecord(
    log,
    (record) => record.seq > after && record.event === event,
    running,
  );
  if (found.event !== "session.start") throw new Error("not a session.start");
  return { session: found.session, sessionName: found.sessionName };
}

// Whatever credentials the sandbox issued under this session name are refused.
async function expectNoUsableSession(sessionName: string): Promise<number> {
  const issued = [...project.sandbox.state.credentials.values()].filter(
    (record) => record.kind === "session" && record.sessionName === sessionName,
  );
  for (const record of issued) {
    if (record.kind !== "session") continue;
    await expectRevoked(
      project,
      sessionCredentials(record),
      `the session ${sessionName} that STS issued is refused after the run`,
    );
  }
  return issued.length;
}

function processExit(events: LogRecord[]): Record<string, unknown> {
  const exit = events.find((record) => record.event === "process.exit");
  if (exit?.event !== "process.exit") throw new Error("no process.exit");
  return { code: exit.code, signal: exit.signal, timedOut: exit.timedOut };
}

describe("exit paths of taskaccess run", () => {
  it("the concurrent session works before any test run", async () => {
    expect(witness.child.exitCode).toBeNull();
    await expectWorking(project, sessionCredentials(witnessRecorded));
  });

  it("child exits 0: exit 0", async () => {
    const out = project.path("exit0");
    const run = await project.run({ command: ["sh", RECORD, out] });
    const { events } = await expectTornDown(run, out, "deploy", "exit 0", 0);
    expect(processExit(events)).toEqual({ code: 0, signal: null, timedOut: false });
  });

  it("child exits 3: exit 3", async () => {
    const out = project.path("exit3");
    const run = await project.run({ command: ["sh", RECORD, out, "sh", "-c", "exit 3"] });
    const { events } = await expectTornDown(run, out, "deploy", "exit 3", 3);
    expect(processExit(events)).toEqual({ code: 3, signal: null, timedOut: false });
  });

  it("child killed by SIGTERM (kill -TERM $$), isolated: exit 143, reported as its sandbox reports it", async () => {
    // bubblewrap passes a signal death on as exit 128+N; only a signal taskaccess itself delivered
    // is named as such (the timeout and forwarding tests below).
    const out = project.path("sigterm");
    const run = await project.run({ command: ["sh", RECORD, out, "sh", "-c", "kill -TERM $$"] });
    const { events } = await expectTornDown(run, out, "deploy", "exit 143", 143);
    expect(processExit(events)).toEqual({ code: 143, signal: null, timedOut: false });
  });

  it("child killed by SIGTERM (kill -TERM $$), not isolated: exit 143, killed by SIGTERM", async () => {
    const out = project.path("sigterm-none");
    const run = await project.run({
      command: ["sh", RECORD, out, "sh", "-c", "kill -TERM $$"],
      options: ["--isolation", "none"],
    });
    const { events } = await expectTornDown(run, out, "deploy", "killed by SIGTERM, exit 143", 143);
    expect(processExit(events)).toEqual({ code: null, signal: "SIGTERM", timedOut: false });
  });

  it("SIGINT to taskaccess while the child runs: forwarded to the child, exit 130", async () => {
    const out = project.path("sigint");
    const signals = project.path("sigint-received");
    const running = project.start({
      command: [process.execPath, CHILD, out, `trap:SIGINT:${signals}`, "sleep:30000"],
    });
    await waitForFile(out, 15_000, running);
    running.child.kill("SIGINT");
    const run = await running.done;
    expect(readFileSync(signals, "utf8")).toBe("SIGINT\n");
    const { events } = await expectTornDown(run, out, "deploy", "killed by SIGINT, exit 130", 130, "skipped");
    expect(processExit(events)).toEqual({ code: null, signal: "SIGINT", timedOut: false });
  });

  it("SIGTERM to taskaccess while the child runs: forwarded to the child, exit 143", async () => {
    const out = project.path("sigterm-parent");
    const signals = project.path("sigterm-received");
    const running = project.start({
      command: [process.execPath, CHILD, out, `trap:SIGTERM:${signals}`, "sleep:30000"],
    });
    await waitForFile(out, 15_000, running);
    running.child.kill("SIGTERM");
    const run = await running.done;
    expect(readFileSync(signals, "utf8")).toBe("SIGTERM\n");
    const { events } = await expectTornDown(
      run,
      out,
      "deploy",
      "killed by SIGTERM, exit 143",
      143,
      "skipped",
    );
    expect(processExit(events)).toEqual({ code: null, signal: "SIGTERM", timedOut: false });
  });

  it("the task's timeout (1s, the minimum) stops the child with SIGTERM: exit 143, recorded as timed out", async () => {
    const out = project.path("timeout");
    const started = Date.now();
    const run = await project.run({ task: "deploy-timeout", command: ["sh", RECORD, out, "sleep", "30"] });
    const elapsed = Date.now() - started;
    const { events } = await expectTornDown(run, out, "deploy-timeout", "timed out, exit 143", 143);
    expect(processExit(events)).toEqual({ code: null, signal: "SIGTERM", timedOut: true });
    expect(events[0]).toMatchObject({ event: "session.start", timeoutSeconds: 1 });
    // Stopped by the timeout, long before the child's 30 s (and before the 10 s SIGKILL grace).
    expect(elapsed).toBeLessThan(10_000);
  });

  it("a command that cannot be found: exit 127 before any AWS call, and no session", async () => {
    const missing = project.path("no-such-command");
    const calls = project.sandbox.journal.find({ accessKeyId: project.base.accessKeyId }).length;
    const lines = readLog(project.logPath).length;
    const run = await project.run({ command: [missing] });
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 127, signal: null });
    expect(run.stderr).toContain(
      `error: cannot run ${missing}: ${missing} does not exist or is not an executable file; nothing was asked of AWS`,
    );
    expect(project.sandbox.journal.find({ accessKeyId: project.base.accessKeyId })).toHaveLength(calls);
    expect(readLog(project.logPath)).toHaveLength(lines);
  });

  it("a command that is found but cannot be started, unisolated: exit 127, revoked all the same", async () => {
    // Executable, but its interpreter does not exist: execve fails with ENOENT.
    const broken = project.path("no-interpreter");
    writeFileSync(broken, "#!/nonexistent/interpreter\n", { mode: 0o755 });
    const run = await project.run({ command: [broken], options: ["--isolation", "none"] });
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 127, signal: null });
    expect(run.stderr).toContain(`could not start ${broken}`);
    const records = readLog(project.logPath);
    const start = records.findLast((record) => record.event === "session.start");
    if (start?.event !== "session.start") throw new Error("no session.start");
    expect(start.argv).toEqual([broken]);
    const events = sessionRecords(records, start.session);
    // No process.start: there never was a process.
    expect(events.map((record) => record.event)).toEqual(
      FULL_SESSION.filter((event) => event !== "process.start"),
    );
    expect(events.find((record) => record.event === "process.exit")).toMatchObject({
      code: null,
      signal: null,
      timedOut: false,
      error: expect.stringContaining("ENOENT"),
    });
    expect(events.at(-1)).toMatchObject({ event: "session.end", exitCode: 127, revoked: true });
    expect(lastLine(run.stderr)).toMatch(summaryPattern("deploy", start.session, "exit 127"));
  });

  it("SIGINT to taskaccess while STS is still answering AssumeRole: exit 130, the command never runs, no session is left usable", async () => {
    // The sandbox holds AssumeRole for 3 s: the signal is sent once GetCallerIdentity has been
    // answered and AssumeRole has reached the sandbox, so it lands while AssumeRole is in flight.
    const callerIdentityBefore = project.sandbox.journal.find({ operation: "GetCallerIdentity" }).length;
    const getRoleBefore = project.sandbox.journal.find({ operation: "GetRole" }).length;
    const assumeRole = holdNextCall(project, "sts:AssumeRole", 3000);
    const out = project.path("never-ran");
    const linesBefore = readLog(project.logPath).length;
    const running = project.start({ command: ["sh", RECORD, out] });
    const start = await waitForRecord(linesBefore, "session.start", running);
    await assumeRole.arrived(running);
    expect(
      project.sandbox.journal.find({ operation: "GetCallerIdentity" }).slice(callerIdentityBefore),
    ).toEqual([
      expect.objectContaining({ accessKeyId: project.base.accessKeyId, decision: "allow", status: 200 }),
    ]);
    running.child.kill("SIGINT");
    const run = await running.done;
    // taskaccess stopped waiting and tore down before STS answered: the signal landed in AssumeRole.
    expect(assumeRole.answered(), "AssumeRole still unanswered when taskaccess exited").toEqual([]);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 130, signal: null });
    expect(existsSync(out)).toBe(false);
    // No credentials.issued, so no assumed-role id: the unconfirmed session is revoked by its name
    // (the revoker looks the role's id up with GetRole), and the run ends with exit 130, revoked.
    const events = sessionRecords(readLog(project.logPath), start.session);
    expect(events.map((record) => record.event)).toEqual([
      "session.start",
      "revocation.ready",
      "session.revoked",
      "session.end",
    ]);
    expect(events[2]).toMatchObject({
      event: "session.revoked",
      sessionName: start.sessionName,
      method: "inline-deny",
      policyName: expect.stringMatching(new RegExp(`^taskaccess-revoke-\\d+-${start.sessionName}$`)),
      // No credentials were ever held, so there was nothing to confirm with.
      confirmation: "skipped",
    });
    expect(events[3]).toMatchObject({ event: "session.end", exitCode: 130, revoked: true });
    expect(project.sandbox.journal.find({ operation: "GetRole" }).slice(getRoleBefore)).toContainEqual(
      expect.objectContaining({ accessKeyId: project.base.accessKeyId, decision: "allow", status: 200 }),
    );
    // STS answers the held call all the same, issuing a session taskaccess never saw: it is refused.
    expect(await assumeRole.settled()).toMatchObject({ decision: "allow", status: 200 });
    expect(await expectNoUsableSession(start.sessionName)).toBe(1);
  });

  it("an error after AssumeRole (the log turns unusable before credentials.issued): the command never runs, the session is revoked", async () => {
    project.sandbox.faults.set("sts:AssumeRole", [{ delayMs: 1500 }]);
    const dir = project.path("broken-log");
    const { mkdirSync, chmodSync } = await import("node:fs");
    mkdirSync(dir, { mode: 0o700 });
    const log = `${dir}/sessions.jsonl`;
    const out = project.path("never-ran");
    const running = project.start({ command: ["sh", RECORD, out], log });
    const start = await waitForRecord(0, "session.start", running, log);
    // A log others may write is refused by every later append: that is the error after AssumeRole.
    chmodSync(log, 0o666);
    const run = await running.done;
    expect(run.code).toBe(70);
    expect(existsSync(out)).toBe(false);
    expect(run.stderr).toMatch(/writable by everyone/);
    // STS did issue the session (the failure came after): it is refused, by a revoke policy.
    expect(await expectNoUsableSession(start.sessionName)).toBe(1);
    // Credentials were issued, so stderr must say whether they were revoked (issue 4: "the last
    // line on stderr summarises: task, session, exit, duration, and whether revocation is effective").
    expect(run.stderr, "a summary line saying the session's access was revoked").toMatch(
      new RegExp(`^taskaccess: task deploy, session ${start.sessionName}, .*access revoked`, "m"),
    );
  });

  it("the concurrent session ends normally too, and its credentials are then refused", async () => {
    expect(existsSync(witnessGo)).toBe(false);
    writeFileSync(witnessGo, "");
    const run = await witness.done;
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    expect(lastLine(run.stderr)).toMatch(summaryPattern("deploy", witnessRecorded.session, "exit 0"));
    const events = sessionRecords(readLog(project.logPath), witnessRecorded.session);
    expect(events.map((record) => record.event)).toEqual(FULL_SESSION);
    await expectRevoked(project, sessionCredentials(witnessRecorded));
    // The log of every run in this file, interleaved with the witness's, is one intact chain.
    const verified = await verifySessionLog(project.logPath);
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);
  });
});
