import { describe, expect, it } from "vitest";
import { revocationTargets } from "../../src/session/revoke-sessions.js";
import { summarizeSessions } from "../../src/session/session-summary.js";

// A run with `--credentials server` has one STS session per refresh: the summary must know them
// all, call the run revoked only when every one is, and `revoke` must go after the rest.

const ROLE = "arn:aws:iam::123456789012:role/deployer";
const at = (minute: number) => new Date(Date.UTC(2026, 10, 28, 12, minute)).toISOString();
const common = (minute: number) => ({
  session: "s1",
  task: "deploy",
  time: at(minute),
  host: "h",
  caller: "me",
});
const start = {
  event: "session.start",
  ...common(0),
  role: ROLE,
  sessionName: "ta-deploy-s1",
  durationSeconds: 900,
  pid: 1,
  credentialDelivery: "server",
};
const issued = (n: number, minute: number) => ({
  event: "credentials.issued",
  ...common(minute),
  sessionName: n === 0 ? "ta-deploy-s1" : `ta-deploy-s1-r${n}`,
  assumedRoleId: `AROA:${n === 0 ? "ta-deploy-s1" : `ta-deploy-s1-r${n}`}`,
  expiration: at(minute + 15),
  ...(n > 0 ? { refresh: n } : {}),
});
const revoked = (sessionName: string | undefined, minute: number) => ({
  event: "session.revoked",
  ...common(minute),
  ...(sessionName ? { sessionName } : {}),
});

describe("sessions with refreshed credentials", () => {
  it("lists every STS session and is revoked only when all are", () => {
    const events = [
      start,
      issued(0, 0),
      issued(1, 11),
      issued(2, 22),
      revoked("ta-deploy-s1", 30),
      revoked("ta-deploy-s1-r1", 30),
    ];
    let summary = summarizeSessions(events).get("s1");
    expect(summary?.stsSessions?.map((sts) => [sts.sessionName, sts.revoked])).toEqual([
      ["ta-deploy-s1", true],
      ["ta-deploy-s1-r1", true],
      ["ta-deploy-s1-r2", false],
    ]);
    expect(summary?.revoked).toBe(false);
    expect(summary?.expiresAt).toBe(at(37));
    expect(summary?.assumedRoleId).toBe("AROA:ta-deploy-s1");
    expect(summary && revocationTargets(summary, "ta-deploy-s1")).toEqual([
      { sessionName: "ta-deploy-s1-r2", assumedRoleId: "AROA:ta-deploy-s1-r2", expiresAt: at(37) },
      // Never ended: the next refresh may have been issued and not logged.
      { sessionName: "ta-deploy-s1-r3", assumedRoleId: null, expiresAt: null },
    ]);
    summary = summarizeSessions([
      ...events,
      revoked("ta-deploy-s1-r2", 31),
      revoked("ta-deploy-s1-r3", 31),
    ]).get("s1");
    expect(summary?.revoked).toBe(true);
  });

  it("reads a log from before session.revoked named its STS session as it always did", () => {
    const { credentialDelivery: _, ...oldStart } = start;
    const events = [
      oldStart,
      issued(0, 0),
      revoked(undefined, 5),
      { event: "session.end", ...common(5), revoked: true },
    ];
    const summary = summarizeSessions(events).get("s1");
    expect(summary?.revoked).toBe(true);
    expect(summary?.revocationFailed).toBe(false);
    const failed = summarizeSessions([
      oldStart,
      issued(0, 0),
      { event: "revocation.failed", ...common(5) },
    ]).get("s1");
    expect(failed?.revocationFailed).toBe(true);
    expect(failed && revocationTargets(failed, "ta-deploy-s1")).toEqual([
      { sessionName: "ta-deploy-s1", assumedRoleId: "AROA:ta-deploy-s1", expiresAt: at(15) },
    ]);
  });
});
