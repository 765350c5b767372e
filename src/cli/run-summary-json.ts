import type { RunOutcome } from "../session/run-session.js";

// `run --json`: the summary as one line of JSON, the last on stderr (stdout is the command's).
export function runSummaryJson(task: string, outcome: RunOutcome, logHead?: string | undefined): string {
  const { child } = outcome;
  const summary = {
    ok: outcome.exitCode === 0 && outcome.revoked,
    task,
    session: outcome.sessionId,
    sessionName: outcome.sessionName,
    exitCode: outcome.exitCode,
    child: child ? { code: child.code, signal: child.signal, timedOut: child.timedOut } : null,
    revoked: outcome.revoked,
    revocationError: outcome.revocationError?.message ?? null,
    expiration: outcome.expiration?.toISOString() ?? null,
    durationMs: outcome.durationMs,
    refreshes: outcome.refreshes ?? 0,
    confirmation: outcome.confirmation ?? null,
    logHead: logHead ?? null,
    error: outcome.failure?.message ?? null,
  };
  return `${JSON.stringify(summary)}\n`;
}
