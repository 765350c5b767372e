import { constants } from "node:os";
import { ExitCode, TaskAccessError } from "../errors.js";
import type { RunPlan } from "./plan-run.js";
import { type RunProgress, silentProgress } from "./progress.js";
import type { RunDeps, RunEvent } from "./run-session.js";

/** One STS session of a run: the first, or a refresh. Each is revoked at the end. */
export interface StsSession {
  sessionName: string;
  /** Unknown when AssumeRole failed in a way that may still have issued credentials. */
  assumedRoleId: string | undefined;
  expiration: Date;
  /** Held in memory only, to confirm the revocation with; never logged. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken: string } | undefined;
  /** The pre-armed deny being put in place (settled before the session is revoked). */
  armed?: Promise<unknown> | undefined;
}

/** The fields on every line of a session. */
export type CommonFields = { time: string; session: string; task: string } & Record<string, unknown>;

// What the phases of one run share: the plan, the ports, the sessions issued so far, and the one
// way to write a log line. Built once per run; the phases read and add to it.
export interface RunState {
  plan: RunPlan;
  deps: RunDeps;
  started: number;
  /** The region the command gets (the task's, else the one the issuer resolved). */
  region: string;
  /** The base identity's ARN once STS said it; the start record is written before, with null. */
  callerArn: string | null;
  /** Set once taskaccess is told to stop (SIGINT, SIGTERM, SIGHUP) while the command runs. */
  stopping: boolean;
  /** Every STS session of the run that may exist, in issue order; all are revoked at the end. */
  sessions: StsSession[];
  /** The fields every line of this session carries, as of now. */
  common: () => CommonFields;
  /** Appends a line after the start record; a failure is a warning, the run goes on. */
  record: (event: RunEvent) => Promise<void>;
  /** Where the phases report the step they reach (deps.progress, else no one). */
  progress: RunProgress;
}

// The state a run starts from.
export function createRunState(plan: RunPlan, deps: RunDeps, region: string): RunState {
  const state: RunState = {
    plan,
    deps,
    region,
    started: deps.clock.now(),
    callerArn: null,
    stopping: false,
    sessions: [],
    progress: deps.progress ?? silentProgress,
    common: () => ({
      time: new Date(deps.clock.now()).toISOString(),
      session: plan.sessionId,
      task: plan.task.name,
      caller: state.callerArn,
      host: deps.host,
      ...(plan.ci ? { ci: plan.ci } : {}),
    }),
    record: async (event) => {
      await deps.audit.append(event).catch((error: unknown) => {
        deps.warn(`could not write ${event.event} to the session log: ${messageOf(error)}`);
      });
    },
  };
  return state;
}

// A session AssumeRole may have issued without telling us: no id, and at most a full lifetime left.
export function unconfirmedSession(state: RunState, sessionName: string): StsSession {
  return {
    sessionName,
    assumedRoleId: undefined,
    expiration: new Date(state.deps.clock.now() + state.plan.durationSeconds * 1000),
  };
}

// A refusal (access denied, a request STS found malformed) is known to have issued nothing; any
// other failure (interrupted, timed out, cut off) may have issued credentials that never arrived.
export function definitelyNotIssued(error: unknown): boolean {
  return (
    error instanceof TaskAccessError &&
    (error.exitCode === ExitCode.accessDenied || error.exitCode === ExitCode.taskFile)
  );
}

// The error of a run taskaccess was told to stop, or the failure as a TaskAccessError.
export function interruptedOr(deps: Pick<RunDeps, "interruptedBy">, error: unknown): TaskAccessError {
  const signal = deps.interruptedBy();
  if (signal) return interruptError(signal);
  if (error instanceof TaskAccessError) return error;
  return new TaskAccessError(messageOf(error), { exitCode: ExitCode.internal, cause: error });
}

// Stopped by SIGINT/SIGTERM/… before the command ran: the shell's 128+N.
export function interruptError(signal: NodeJS.Signals): TaskAccessError {
  return new TaskAccessError(`interrupted by ${signal} before the command started`, {
    exitCode: 128 + (constants.signals[signal] ?? 0),
  });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
