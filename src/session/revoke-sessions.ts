import { ExitCode, TaskAccessError } from "../errors.js";
import type { Clock, Revoker } from "./ports.js";
import { attemptsOf } from "./revocation-error.js";
import type { RunAuditSink } from "./run-session.js";
import { makeSessionName } from "./session-id.js";
import type { SessionSummary } from "./session-summary.js";

export interface RevokeSessionsDeps {
  revoker: Revoker;
  audit: RunAuditSink;
  clock: Clock;
  host: string;
  /** The identity running `taskaccess revoke`, recorded as revokedBy. */
  revokedBy: string;
}

export interface RevokeReport {
  session: SessionSummary;
  revoked: boolean;
  policyName?: string | undefined;
  error?: string | undefined;
  /** The log already records every STS session of it as revoked: nothing was done. */
  alreadyRevoked?: boolean;
}

/** When a session's expiry is unknown, its revoke policy is kept this long: STS's 12-hour maximum. */
const MAX_SESSION_MS = 12 * 60 * 60 * 1000;

// Revokes sessions that their own run could not (killed, or IAM failing at teardown) and records
// each outcome in the log, so that a reviewer sees who finished the job and when.
export async function revokeSessions(
  sessions: SessionSummary[],
  deps: RevokeSessionsDeps,
): Promise<RevokeReport[]> {
  const reports: RevokeReport[] = [];
  for (const session of sessions) {
    const { role, sessionName } = session;
    if (!role || !sessionName) {
      reports.push({ session, revoked: false, error: "the log does not name its role and session name" });
      continue;
    }
    const targets = session.revoked ? [] : revocationTargets(session, sessionName);
    if (targets.length === 0) {
      reports.push({ session, revoked: true, alreadyRevoked: true });
      continue;
    }
    const common = () => ({
      time: new Date(deps.clock.now()).toISOString(),
      session: session.session,
      task: session.task,
      caller: session.caller,
      host: deps.host,
      role,
      revokedBy: deps.revokedBy,
    });
    let report: RevokeReport = { session, revoked: true };
    for (const target of targets) {
      const expiration = new Date(
        target.expiresAt !== null ? Date.parse(target.expiresAt) : deps.clock.now() + MAX_SESSION_MS,
      );
      try {
        const result = await deps.revoker.revoke({
          roleArn: role,
          sessionName: target.sessionName,
          assumedRoleId: target.assumedRoleId ?? undefined,
          sessionTag: session.session,
          expiration,
        });
        await deps.audit.append({
          event: "session.revoked",
          ...common(),
          sessionName: target.sessionName,
          policyName: result.policyName,
          method: result.method,
          attempts: result.attempts,
          note: result.note ?? null,
        });
        if (report.revoked) report = { session, revoked: true, policyName: result.policyName };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await deps.audit.append({
          event: "revocation.failed",
          ...common(),
          sessionName: target.sessionName,
          error: message,
          attempts: attemptsOf(error),
          expiration: expiration.toISOString(),
        });
        if (report.revoked) report = { session, revoked: false, error: message };
      }
    }
    reports.push(report);
  }
  return reports;
}

interface RevocationTarget {
  sessionName: string;
  assumedRoleId: string | null;
  expiresAt: string | null;
}

// The STS sessions of one run still to revoke: every issued one not yet revoked (a run with
// `--credentials server` may have refreshed several times), or, when none was logged as issued,
// the run's session name with its upper-bound expiry. A server-mode run that never ended may have
// been killed between a refresh's AssumeRole and its log line: that next refresh's name is
// revoked too (the revoker finds the role's id; a deny for a session that never existed is harmless).
export function revocationTargets(session: SessionSummary, sessionName: string): RevocationTarget[] {
  const issued = session.stsSessions ?? [];
  if (issued.length === 0) {
    return [{ sessionName, assumedRoleId: session.assumedRoleId, expiresAt: session.expiresAt }];
  }
  const targets: RevocationTarget[] = issued
    .filter((sts) => !sts.revoked)
    .map((sts) => ({
      sessionName: sts.sessionName,
      assumedRoleId: sts.assumedRoleId,
      expiresAt: sts.expiresAt,
    }));
  if (session.credentialDelivery === "server" && !session.ended) {
    targets.push({
      sessionName: makeSessionName(session.task, session.session, issued.length),
      assumedRoleId: null,
      // Unknown, and possibly later than any logged one: kept for STS's maximum.
      expiresAt: null,
    });
  }
  return targets;
}

// Finds one session by its id or its STS session name (both are printed by run and by log).
export function findSession(sessions: SessionSummary[], id: string): SessionSummary {
  const found = sessions.find((session) => session.session === id || session.sessionName === id);
  if (found) return found;
  throw new TaskAccessError(`no session "${id}" in the session log`, {
    exitCode: ExitCode.usage,
    hint: "`taskaccess log` lists the sessions; give the SESSION column or the ta-… session name",
  });
}
