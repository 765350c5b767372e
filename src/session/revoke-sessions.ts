import { ExitCode, TaskAccessError } from "../errors.js";
import type { Clock, Revoker } from "./ports.js";
import { attemptsOf } from "./revocation-error.js";
import type { RunAuditSink } from "./run-session.js";
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
    const expiration = new Date(
      session.expiresAt !== null ? Date.parse(session.expiresAt) : deps.clock.now() + MAX_SESSION_MS,
    );
    const common = () => ({
      time: new Date(deps.clock.now()).toISOString(),
      session: session.session,
      task: session.task,
      caller: session.caller,
      host: deps.host,
      role,
      revokedBy: deps.revokedBy,
    });
    try {
      const result = await deps.revoker.revoke({
        roleArn: role,
        sessionName,
        assumedRoleId: session.assumedRoleId ?? undefined,
        sessionTag: session.session,
        expiration,
      });
      await deps.audit.append({
        event: "session.revoked",
        ...common(),
        policyName: result.policyName,
        method: result.method,
        attempts: result.attempts,
        note: result.note ?? null,
      });
      reports.push({ session, revoked: true, policyName: result.policyName });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await deps.audit.append({
        event: "revocation.failed",
        ...common(),
        error: message,
        attempts: attemptsOf(error),
        expiration: expiration.toISOString(),
      });
      reports.push({ session, revoked: false, error: message });
    }
  }
  return reports;
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
