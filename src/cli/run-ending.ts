import type { RunOutcome } from "../session/run-session.js";

/** Why a run ended, beyond its exit code. */
export type RunEnding =
  | { kind: "failed" }
  | { kind: "timed out" }
  | { kind: "signal"; signal: string }
  | { kind: "exit" };

// The summary line and the job-summary row name the same cause, in this order: taskaccess's own
// failure, then the task's timeout, then the signal that killed the command, else a plain exit.
export function runEnding(outcome: RunOutcome): RunEnding {
  if (outcome.failure) return { kind: "failed" };
  if (outcome.child?.timedOut) return { kind: "timed out" };
  if (outcome.child?.signal) return { kind: "signal", signal: outcome.child.signal };
  return { kind: "exit" };
}
