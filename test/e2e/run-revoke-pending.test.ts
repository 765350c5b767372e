import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifySessionLog } from "../../src/audit/verify-log.js";
import {
  type E2eProject,
  expectRevoked,
  expectWorking,
  hasSubcommand,
  holdNextCall,
  RECORD,
  readLog,
  readRecorded,
  runTaskaccess,
  sessionCredentials,
  sessionRecords,
  startProject,
  waitForFile,
  waitForLogRecord,
} from "./helpers.js";

// A taskaccess killed with SIGKILL cannot tear down. Its session.start (written before STS was
// called) is what `taskaccess revoke --pending` finds afterwards: the session is revoked, and the
// log says so.

let project: E2eProject;
const orphans: number[] = [];

beforeAll(async () => {
  project = await startProject();
});
afterAll(async () => {
  for (const pid of orphans) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await project.close();
});

describe("revoke --pending after taskaccess was killed with SIGKILL", () => {
  it("revokes the killed run's session, records it, and leaves a running session alone", async () => {
    expect(await hasSubcommand(project, "revoke")).toBe(true);

    // A run that is alive throughout: --pending must not touch it.
    const liveOut = project.path("live");
    const live = project.start({ command: ["sh", RECORD, liveOut, "sleep", "60"] });
    await waitForFile(liveOut, 15_000, live);
    const liveRecorded = readRecorded(liveOut);
    // The command's pid as taskaccess saw it (the recorded $$ is its pid inside its PID namespace).
    const liveStart = await waitForLogRecord(
      project.logPath,
      (record) => record.session === liveRecorded.session && record.event === "process.start",
      live,
    );
    if (liveStart.event === "process.start") orphans.push(liveStart.pid);

    const out = project.path("killed");
    const running = project.start({ command: ["sh", RECORD, out, "sleep", "60"] });
    await waitForFile(out, 15_000, running);
    const recorded = readRecorded(out);
    const started = await waitForLogRecord(
      project.logPath,
      (record) => record.session === recorded.session && record.event === "process.start",
      running,
    );
    if (started.event !== "process.start") throw new Error("not a process.start record");
    orphans.push(started.pid); // the child: record.sh execs sleep, so this is sleep's pid
    running.child.kill("SIGKILL");
    // Isolated, the command dies with its killed parent; unisolated it would outlive it: stop it too.
    try {
      process.kill(started.pid, "SIGKILL");
    } catch {
      // gone with its sandbox
    }
    const killed = await running.done;
    expect(killed.signal).toBe("SIGKILL");

    // Nothing revoked it: the credentials still work.
    await expectWorking(project, sessionCredentials(recorded), "the killed run's session, before revoke");
    expect(sessionRecords(readLog(project.logPath), recorded.session).map((record) => record.event)).toEqual([
      "session.start",
      "revocation.ready",
      "credentials.issued",
      "process.start",
    ]);

    const revoke = await runTaskaccess(project, ["revoke", "--pending", "--log", project.logPath]);
    expect({ code: revoke.code, stderr: revoke.stderr }).toEqual({ code: 0, stderr: "" });
    expect(revoke.stdout).toMatch(
      new RegExp(
        `^revoked ta-deploy-${recorded.session} \\(task deploy\\): taskaccess-revoke-\\d+-ta-deploy-${recorded.session}\n$`,
      ),
    );
    await expectRevoked(project, sessionCredentials(recorded));
    await expectWorking(
      project,
      sessionCredentials(liveRecorded),
      "the running session, after revoke --pending",
    );

    const events = sessionRecords(readLog(project.logPath), recorded.session);
    expect(events.map((record) => record.event)).toEqual([
      "session.start",
      "revocation.ready",
      "credentials.issued",
      "process.start",
      "session.revoked",
    ]);
    expect(events.at(-1)).toMatchObject({
      event: "session.revoked",
      role: "arn:aws:iam::123456789012:role/deployer",
      policyName: expect.stringMatching(new RegExp(`^taskaccess-revoke-\\d+-ta-deploy-${recorded.session}$`)),
    });
    expect(sessionRecords(readLog(project.logPath), liveRecorded.session).map((r) => r.event)).not.toContain(
      "session.revoked",
    );

    // A second --pending finds nothing left to do.
    const again = await runTaskaccess(project, ["revoke", "--pending", "--log", project.logPath]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^nothing to revoke/);

    // The live run, stopped normally, tears down as usual.
    live.child.kill("SIGTERM");
    const liveResult = await live.done;
    expect(liveResult.code).toBe(143);
    await expectRevoked(project, sessionCredentials(liveRecorded));
    expect((await verifySessionLog(project.logPath)).ok).toBe(true);
  });

  it("revokes a session killed between session.start and credentials.issued (the write-ahead record)", async () => {
    // The sandbox holds AssumeRole for 2 s; taskaccess is SIGKILLed once the call has reached it, so
    // the log has only session.start. The sandbox then completes the request whose client has gone,
    // as AWS may: STS issued credentials nobody holds, and they must end up refused too.
    const assumeRole = holdNextCall(project, "sts:AssumeRole", 2000);
    const out = project.path("killed-early");
    const before = readLog(project.logPath).length;
    const running = project.start({ command: ["sh", RECORD, out, "sleep", "60"] });
    const start = await waitForLogRecord(
      project.logPath,
      (record) => record.seq > before && record.event === "session.start",
      running,
    );
    if (start.event !== "session.start") throw new Error("not a session.start");
    await assumeRole.arrived(running);
    running.child.kill("SIGKILL");
    const killed = await running.done;
    expect(killed.signal).toBe("SIGKILL");
    // Killed while STS still held the call: nothing after the write-ahead record, no command run.
    expect(assumeRole.answered(), "AssumeRole still unanswered when taskaccess died").toEqual([]);
    expect(sessionRecords(readLog(project.logPath), start.session).map((record) => record.event)).toEqual([
      "session.start",
      "revocation.ready",
    ]);
    expect(existsSync(out)).toBe(false);

    // STS answers the call all the same: exactly one session under the run's name, and it works.
    expect(await assumeRole.settled()).toMatchObject({ decision: "allow", status: 200 });
    const issued = [...project.sandbox.state.credentials.values()].filter(
      (record) => record.kind === "session" && record.sessionName === start.sessionName,
    );
    expect(issued.map((record) => record.kind)).toEqual(["session"]);
    const [session] = issued;
    if (session?.kind !== "session") throw new Error("not a session");
    const credentials = sessionCredentials(session);
    await expectWorking(project, credentials, "the session STS issued, before revoke");

    const revoke = await runTaskaccess(project, ["revoke", "--pending", "--log", project.logPath]);
    expect({ code: revoke.code, stderr: revoke.stderr }).toEqual({ code: 0, stderr: "" });
    expect(revoke.stdout).toContain(`revoked ${start.sessionName} (task deploy)`);
    await expectRevoked(project, credentials, "the session STS issued, after revoke --pending");
    expect(sessionRecords(readLog(project.logPath), start.session).map((record) => record.event)).toEqual([
      "session.start",
      "revocation.ready",
      "session.revoked",
    ]);
  });
});
