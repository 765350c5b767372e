import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifySessionLog } from "../../src/audit/verify-log.js";
import {
  ACCOUNT,
  type E2eProject,
  expectRevoked,
  expectWorking,
  FULL_SESSION,
  hasSubcommand,
  lastLine,
  RECORD,
  type RunningRun,
  readLog,
  readRecorded,
  runTaskaccess,
  sessionCredentials,
  sessionRecords,
  startProject,
  stopRun,
  summaryPattern,
  waitForFile,
} from "./helpers.js";

// Twenty runs of one task (one role) at once, all writing one session log: every session is
// recorded and revoked, the chain holds with no line lost or interleaved, and a session of the
// same role that outlives them all keeps working, although the role's revoke policies reach the
// compaction threshold (20) on the way.

const RUNS = 20;
let project: E2eProject;
/** Ended here if the test fails before it ends it itself. */
let leftRunning: { run: RunningRun } | undefined;

beforeAll(async () => {
  project = await startProject();
});
afterAll(async () => {
  if (leftRunning) await stopRun(leftRunning.run);
  await project.close();
});

describe("20 runs in parallel on one role and one log", () => {
  it("all exit 0, 20 sessions started and revoked, a log whose chain verifies, every session refused after", async () => {
    // A session of the same role that starts before and ends after the twenty.
    const witnessOut = project.path("witness");
    const witnessGo = project.path("witness-go");
    const witness = project.start({
      command: ["sh", RECORD, witnessOut, "sh", "-c", 'while [ ! -e "$0" ]; do sleep 0.05; done', witnessGo],
    });
    await waitForFile(witnessOut, 15_000, witness);
    const witnessRecorded = readRecorded(witnessOut);
    leftRunning = { run: witness };
    const witnessCredentials = sessionCredentials(witnessRecorded);

    const outs = Array.from({ length: RUNS }, (_, index) => project.path(`parallel-${index}`));
    const results = await Promise.all(outs.map((out) => project.run({ command: ["sh", RECORD, out] })));
    // With the stderr of any run that failed, so a failure says why.
    expect(results.map((result) => (result.code === 0 ? 0 : `${result.code}: ${result.stderr}`))).toEqual(
      new Array(RUNS).fill(0),
    );
    const recorded = outs.map((out) => readRecorded(out));
    expect(new Set(recorded.map((r) => r.session)).size).toBe(RUNS);
    results.forEach((result, index) => {
      expect(lastLine(result.stderr)).toMatch(
        summaryPattern("deploy", recorded[index]?.session ?? "", "exit 0"),
      );
    });

    const records = readLog(project.logPath);
    const count = (event: string) => records.filter((record) => record.event === event).length;
    // The witness has written session.start, revocation.ready, credentials.issued, process.start so far.
    expect(count("session.start")).toBe(RUNS + 1);
    expect(count("credentials.issued")).toBe(RUNS + 1);
    expect(count("process.start")).toBe(RUNS + 1);
    expect(count("process.exit")).toBe(RUNS);
    expect(count("session.revoked")).toBe(RUNS);
    expect(count("revocation.failed")).toBe(0);
    expect(count("session.end")).toBe(RUNS);
    expect(records.length).toBe(RUNS * FULL_SESSION.length + 4);
    // seq 1..N with no gap, in file order.
    expect(records.map((record) => record.seq)).toEqual(records.map((_, index) => index + 1));
    for (const r of recorded) {
      expect(sessionRecords(records, r.session).map((record) => record.event)).toEqual(FULL_SESSION);
    }
    const verified = await verifySessionLog(project.logPath);
    expect(verified).toMatchObject({ ok: true, lines: records.length, problems: [] });

    // Every one of the twenty is refused now, whether its revoke policy is still a single one
    // or has been compacted into a tag-based one; the witness is not.
    for (const r of recorded) await expectRevoked(project, sessionCredentials(r), `session ${r.session}`);
    await expectWorking(project, witnessCredentials, "the concurrent witness session");
    const role = project.sandbox.state.findRole(ACCOUNT, "deployer");
    const revokePolicies = [...(role?.inline.keys() ?? [])].filter((name) =>
      name.startsWith("taskaccess-revoke-"),
    );
    expect(revokePolicies.length).toBeGreaterThan(0);

    writeFileSync(witnessGo, "");
    const witnessResult = await witness.done;
    expect(witnessResult.code).toBe(0);
    await expectRevoked(project, witnessCredentials, "the witness after it ended");

    const final = await verifySessionLog(project.logPath);
    expect(final).toMatchObject({ ok: true, lines: (RUNS + 1) * FULL_SESSION.length, problems: [] });
  });

  it("`taskaccess log verify` agrees, when the command exists", async () => {
    if (!(await hasSubcommand(project, "log"))) {
      // Not written yet; verifySessionLog above is the same check.
      return;
    }
    const result = await runTaskaccess(project, ["log", "verify", "--log", project.logPath]);
    expect(result.code).toBe(0);
  });
});
