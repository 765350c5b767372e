import { ExitCode, TaskAccessError } from "../errors.js";
import { acknowledgedField } from "../policy/acknowledge.js";
import type { AppliedIsolation } from "./isolation.js";
import type { MfaCode } from "./mfa.js";
import type { RunPlan } from "./plan-run.js";
import type {
  CallerIdentity,
  Clock,
  CredentialIssuer,
  ProcessResult,
  ProcessRunner,
  RevocationConfirmer,
  Revoker,
} from "./ports.js";
import type { RunProgress } from "./progress.js";
import { issueCredentials } from "./run-issue.js";
import { type Confirmation, type Revocation, revokeAll } from "./run-revoke.js";
import { createRunState, messageOf, type RunState } from "./run-state.js";
import { type Supervised, supervise } from "./run-supervise.js";

// The one event shape the run writes; src/audit gives each line its seq and hash chain.
export type RunEvent = { event: string; time: string; session: string; task: string } & Record<
  string,
  unknown
>;

export interface RunAuditSink {
  append: (event: RunEvent) => Promise<unknown>;
  /** Waits for records still being written (an S3 log sends most in the background). */
  flush?: (() => Promise<void>) | undefined;
}

export interface RunDeps {
  issuer: CredentialIssuer;
  revoker: Revoker;
  runner: ProcessRunner;
  audit: RunAuditSink;
  /** Event times and durations, and the credential server's clock for refresh decisions. */
  clock: Clock;
  host: string;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  argv: string[];
  /** taskaccess's own pid, so that `revoke --pending` can tell a live run from a dead one. */
  pid: number;
  /** How the command is isolated: recorded, and bubblewrap's argv when it is. */
  isolation: { applied: AppliedIsolation; wrapper?: string[] | undefined };
  /** Aborted when taskaccess itself is told to stop before the child has started. */
  interrupt: AbortSignal;
  /** The signal behind `interrupt`, once it fired. */
  interruptedBy: () => NodeJS.Signals | undefined;
  /** Told about things the user must see even though the run goes on (a failed log line). */
  warn: (message: string) => void;
  /**
   * The time GetCallerIdentity and AssumeRole may take together, the SDK's retries included;
   * aborted after it, the run fails closed with exit 69. Without it only the SDK's bounds apply.
   */
  stsDeadline?: { ms: number; signal: AbortSignal } | undefined;
  /**
   * Checks after each revocation that AWS refuses the session (`run --confirm-within`); without it
   * (`--no-confirm`) the revocation is recorded as written, unconfirmed.
   */
  confirm?: { confirmer: RevocationConfirmer; withinMs: number } | undefined;
  /**
   * The one-time code of the MFA device plan.mfaSerial names, sent with the first AssumeRole only.
   * Kept out of the plan: it prints as [redacted] (mfa.ts), and is never logged.
   */
  mfaCode?: MfaCode | undefined;
  /**
   * For a log other machines read (S3): a session.lease every `everyMs` while the command runs,
   * each holding for `ttlMs`; another machine takes a run whose lease lapsed as abandoned.
   */
  lease?: { everyMs: number; ttlMs: number } | undefined;
  /** Told each step as the run reaches it (the CLI draws them on a terminal); default: no one. */
  progress?: RunProgress | undefined;
}

export interface RunOutcome {
  /** taskaccess's exit code: the command's, unless taskaccess failed or could not revoke (69). */
  exitCode: number;
  sessionId: string;
  sessionName: string;
  caller?: CallerIdentity | undefined;
  child?: ProcessResult | undefined;
  revoked: boolean;
  revocationError?: TaskAccessError | undefined;
  expiration?: Date | undefined;
  durationMs: number;
  /** Set when taskaccess itself failed after the session started; teardown has run. */
  failure?: TaskAccessError | undefined;
  /** STS sessions issued after the first (`--credentials server` re-assuming before expiry). */
  refreshes?: number | undefined;
  /** STS sessions that may exist (issued, or maybe issued): none means nothing was ever granted. */
  sessions: number;
  /** What checking the revocation with the sessions' own credentials showed. */
  confirmation?: Confirmation | undefined;
}

// prepare → issue → supervise → revoke → record. The start record is in the log before STS is
// asked for anything; every path after it revokes whatever may have been issued and writes the
// one session.end; a failure takes one route, as `failure` in the outcome.
export async function runSession(plan: RunPlan, deps: RunDeps): Promise<RunOutcome> {
  if (plan.mfaSerial !== undefined && deps.mfaCode === undefined) {
    // A bug, not a user's error: the log would name an MFA device the AssumeRole never used.
    throw new TaskAccessError(`no MFA code for ${plan.mfaSerial}`, { exitCode: ExitCode.internal });
  }
  const state = createRunState(plan, deps, plan.task.region ?? (await deps.issuer.region()));
  await recordStart(state);
  const lease = renewLease(state);
  let ending: Supervised;
  let caller: CallerIdentity | undefined;
  let access: Promise<Revocation> | undefined;
  const endAccess = () => {
    access ??= revokeAll(state);
    return access;
  };
  try {
    const issued = await issueCredentials(state);
    caller = issued.caller;
    ending = await supervise(state, issued, endAccess);
  } catch (error) {
    const failure = error instanceof TaskAccessError ? error : internalError(error);
    ending = { failure, exitCode: failure.exitCode, refreshes: 0 };
  }
  const revocation =
    state.sessions.length > 0 ? await endAccess() : { revoked: false, expiration: undefined };
  // A session that may still be valid is a failed run, whatever the command's own code.
  const exitCode = revocation.revoked || state.sessions.length === 0 ? ending.exitCode : ExitCode.unavailable;
  if (deps.audit.flush) state.progress.step({ kind: "write-log" });
  await recordEnd(state, exitCode, revocation.revoked, ending.failure);
  if (lease) clearInterval(lease);
  await deps.audit.flush?.();
  return {
    exitCode,
    sessionId: plan.sessionId,
    sessionName: plan.sessionName,
    caller,
    child: ending.child,
    revoked: revocation.revoked,
    revocationError: revocation.error,
    confirmation: revocation.confirmation,
    expiration: revocation.expiration,
    durationMs: deps.clock.now() - state.started,
    failure: ending.failure,
    refreshes: ending.refreshes,
    sessions: state.sessions.length,
  };
}

// Renews the run's lease from its start to its end (revocation and its confirmation included), for
// machines that cannot see this process: they take a run whose lease lapsed as abandoned.
function renewLease(state: RunState): NodeJS.Timeout | undefined {
  const { lease } = state.deps;
  if (!lease) return undefined;
  const timer = setInterval(() => {
    void state.record({
      event: "session.lease",
      ...state.common(),
      until: new Date(state.deps.clock.now() + lease.ttlMs).toISOString(),
    });
  }, lease.everyMs);
  timer.unref();
  return timer;
}

// The write-ahead record: if it cannot be written, nothing is asked of STS and nothing runs.
async function recordStart(state: RunState): Promise<void> {
  const { plan, deps } = state;
  try {
    await deps.audit.append({
      event: "session.start",
      ...state.common(),
      role: plan.task.role,
      sessionName: plan.sessionName,
      params: plan.params,
      reason: plan.reason,
      durationSeconds: plan.durationSeconds,
      timeoutSeconds: plan.task.timeoutSeconds ?? null,
      sourceIdentity: plan.sourceIdentity ?? null,
      policySha256: plan.policySha256,
      argv: deps.argv,
      ...(plan.interactive ? { interactive: true } : {}),
      pid: deps.pid,
      credentialDelivery: plan.credentials,
      isolation: deps.isolation.applied,
      revoker: plan.task.revoker ?? null,
      externalId: plan.externalId ?? null,
      mfaSerial: plan.mfaSerial ?? null,
      ...acknowledgedField(plan.warnings),
      ...(deps.lease ? { leaseSeconds: Math.ceil(deps.lease.ttlMs / 1000) } : {}),
    });
  } catch (error) {
    throw new TaskAccessError(`cannot write the session log, so nothing was run: ${messageOf(error)}`, {
      exitCode: error instanceof TaskAccessError ? error.exitCode : ExitCode.internal,
      hint:
        error instanceof TaskAccessError
          ? error.hint
          : "check the log path (--log, TASKACCESS_LOG) is writable",
      cause: error,
    });
  }
}

// The one session.end of a run.
async function recordEnd(
  state: RunState,
  exitCode: number,
  revoked: boolean,
  failure: TaskAccessError | undefined,
): Promise<void> {
  await state.record({
    event: "session.end",
    ...state.common(),
    exitCode,
    durationMs: state.deps.clock.now() - state.started,
    revoked,
    ...(failure ? { error: failure.message } : {}),
  });
}

function internalError(error: unknown): TaskAccessError {
  return new TaskAccessError(messageOf(error), { exitCode: ExitCode.internal, cause: error });
}
