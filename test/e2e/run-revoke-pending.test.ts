import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifySessionLog } from "../../src/audit/verify-log.js";
import {
  type E2eProject,
  expectRevoked,
  expectWorking,
  hasSubcommand,
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
    orphans.push(liveRecorded.pid);

    const out = project.path("killed");
    const running = project.start({ command: ["sh", RECORD, out, "sleep", "60"] });
    await waitForFile(out, 15_000, running);
    const recorded = readRecorded(out);
    orphans.push(recorded.pid); // the child: record.sh execs sleep, so this is sleep's pid
    await waitForLogRecord(
      project.logPath,
      (record) => record.session === recorded.session && record.event === "process.start",
      running,
    );
    running.child.kill("SIGKILL");
    // The child outlives its killed parent (and holds its stdout and stderr open); stop it too.
    process.kill(recorded.pid, "SIGKILL");
    const killed = await running.done;
    expect(killed.signal).toBe("SIGKILL");

    // Nothing revoked it: the credentials still work.
    await expectWorking(project, sessionCredentials(recorded), "the killed run's session, before revoke");
    expect(sessionRecords(readLog(project.logPath), recorded.session).map((record) => record.event)).toEqual([
      "session.start",
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
    // STS answers slowly; taskaccess is killed while it waits, so the log has only session.start.
    project.sandbox.faults.set("sts:AssumeRole", [{ delayMs: 1000 }]);
    const out = project.path("killed-early");
    const before = readLog(project.logPath).length;
    const running = project.start({ command: ["sh", RECORD, out, "sleep", "60"] });
    const start = await waitForLogRecord(
      project.logPath,
      (record) => record.seq > before && record.event === "session.start",
      running,
    );
    if (start.event !== "session.start") throw new Error("not a session.start");
    running.child.kill("SIGKILL");
    await running.done;
    // Let the sandbox finish the AssumeRole it was delaying: STS issued the session all the same.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const issued = [...project.sandbox.state.credentials.values()].find(
      (record) => record.kind === "session" && record.sessionName === start?.sessionName,
    );
    // (The sandbox completes a request whose client has gone, as AWS may: then there are
    // credentials nobody holds, and they must end up refused too.)
    const credentials = issued?.kind === "session" ? sessionCredentials(issued) : undefined;
    if (credentials) await expectWorking(project, credentials, "the session STS issued, before revoke");

    const revoke = await runTaskaccess(project, ["revoke", "--pending", "--log", project.logPath]);
    expect({ code: revoke.code, stderr: revoke.stderr }).toEqual({ code: 0, stderr: "" });
    expect(revoke.stdout).toContain(`revoked ${start.sessionName} (task deploy)`);
    if (credentials) await expectRevoked(project, credentials);
    expect(sessionRecords(readLog(project.logPath), start.session).map((record) => record.event)).toEqual([
      "session.start",
      "session.revoked",
    ]);
  });
});
