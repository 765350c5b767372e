import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type E2eProject,
  expectRevoked,
  expectWorking,
  lastLine,
  RECORD,
  readLog,
  readRecorded,
  sessionCredentials,
  sessionRecords,
  startProject,
} from "./helpers.js";

// On AWS a deny takes effect after propagation (issue 11, items 5 and 6). The sandbox here delays
// every role-policy change, as IAM does; the run checks with the session's own credentials that
// AWS refuses them, and says honestly how long that took, or that it had not yet.

let project: E2eProject;
beforeAll(async () => {
  project = await startProject(undefined, { propagation: { delayMs: 1_500 } });
});
afterAll(async () => {
  await project?.close();
});

const revokedRecord = (session: string) => {
  const record = sessionRecords(readLog(project.logPath), session).find((r) => r.event === "session.revoked");
  if (record?.event !== "session.revoked") throw new Error("no session.revoked");
  return record;
};

describe("a revocation confirmed with the session's own credentials", () => {
  it("is seen once the propagation delay has passed, and the summary says after how long", async () => {
    project.sandbox.setPropagation({ delayMs: 1_500 });
    const out = project.path("seen");
    const result = await project.run({ command: ["sh", RECORD, out] });
    expect(result.code, result.stderr).toBe(0);
    const recorded = readRecorded(out);
    const summary =
      /access revoked \(AWS refused the credentials (\d+\.\d) s after the deny was written\)$/.exec(
        lastLine(result.stderr),
      );
    expect(summary, result.stderr).not.toBeNull();
    expect(Number(summary?.[1])).toBeGreaterThanOrEqual(1.4);
    const revoked = revokedRecord(recorded.session);
    expect(revoked).toMatchObject({ confirmation: "seen" });
    expect(revoked.confirmedAfterMs).toBeGreaterThanOrEqual(1_400);
    expect(revoked.confirmedAfterMs).toBeLessThan(10_000);
    await expectRevoked(project, sessionCredentials(recorded));
  });

  it("is reported as not seen when the wait runs out first, and the credentials really still work then", async () => {
    project.sandbox.setPropagation({ delayMs: 60_000 });
    const out = project.path("not-seen");
    const result = await project.run({ options: ["--confirm-within", "2s"], command: ["sh", RECORD, out] });
    // The deny is written; the command's own code stands.
    expect(result.code, result.stderr).toBe(0);
    expect(lastLine(result.stderr)).toMatch(
      /, exit 0, \d+\.\ds, access revoked \(deny written, but AWS still did not refuse the credentials after 2\.0 s: IAM propagation; see docs\/security-model\.md\)$/,
    );
    const recorded = readRecorded(out);
    const revoked = revokedRecord(recorded.session);
    expect(revoked).toMatchObject({
      confirmation: "not-seen",
      confirmedAfterMs: null,
      confirmWithinMs: 2_000,
    });
    expect(revoked.lastAnswer).toMatch(
      /AccessDenied: .*iam:GetRole .*because no (session|identity-based) policy allows/,
    );
    // Honest: inside the window the session still works; once IAM has caught up, it does not.
    await expectWorking(project, sessionCredentials(recorded), "inside the propagation window");
    project.sandbox.clock.advance(61_000);
    await expectRevoked(project, sessionCredentials(recorded), "after the propagation window");
  });

  it("is skipped with --no-confirm, and recorded as skipped", async () => {
    project.sandbox.setPropagation({ delayMs: 0 });
    const out = project.path("skipped");
    const result = await project.run({ options: ["--no-confirm"], command: ["sh", RECORD, out] });
    expect(result.code, result.stderr).toBe(0);
    expect(lastLine(result.stderr)).toMatch(/, exit 0, \d+\.\ds, access revoked \(not confirmed\)$/);
    const recorded = readRecorded(out);
    expect(revokedRecord(recorded.session)).toMatchObject({
      confirmation: "skipped",
      confirmedAfterMs: null,
    });
    await expectRevoked(project, sessionCredentials(recorded));
  });

  it("refuses a --confirm-within out of range before anything is asked of AWS", async () => {
    const lines = readLog(project.logPath).length;
    const result = await project.run({ options: ["--confirm-within", "11m"], command: ["true"] });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('error: --confirm-within "11m" is not a duration from 1s to 10m');
    expect(readLog(project.logPath)).toHaveLength(lines);
  });
});
