import type { RunOutcome } from "../session/run-session.js";

/** What a run ended with, as `run --json` prints it and the GitHub Action's outputs take it. */
export interface RunSummary {
  ok: boolean;
  task: string;
  session: string;
  sessionName: string;
  exitCode: number;
  child: { code: number | null; signal: string | null; timedOut: boolean } | null;
  revoked: boolean;
  revocationError: string | null;
  expiration: string | null;
  durationMs: number;
  refreshes: number;
  confirmation: RunOutcome["confirmation"] | null;
  logHead: string | null;
  error: string | null;
}

// `run --json`: the summary as one line of JSON, the last on stderr (stdout is the command's).
export function runSummaryJson(task: string, outcome: RunOutcome, logHead?: string | undefined): string {
  return `${JSON.stringify(runSummary(task, outcome, logHead))}\n`;
}

// One object for both readers of a run's end: --json and CliIo.onRunSummary (the GitHub Action).
export function runSummary(task: string, outcome: RunOutcome, logHead?: string | undefined): RunSummary {
  const { child } = outcome;
  return {
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
}
