import { ExitCode, TaskAccessError } from "../errors.js";
import type { ConfirmOutcome, RevokeResult } from "./ports.js";
import { attemptsOf } from "./revocation-error.js";
import { messageOf, type RunState, type StsSession } from "./run-state.js";

export interface Revocation {
  revoked: boolean;
  /** The first failure, when any session could not be revoked. */
  error?: TaskAccessError | undefined;
  /** The last moment any unrevoked session stays valid (or, all revoked, any session would have). */
  expiration: Date | undefined;
  /** Set when any session was revoked. */
  confirmation?: Confirmation | undefined;
}

// Pre-arms a session's deny so that it holds from the task's deadline even if taskaccess is killed
// before it can revoke. Off the critical path: the command starts meanwhile; a failure is a warning.
export function armSession(state: RunState, session: StsSession): void {
  const activateAt = deadlineOf(state, session);
  if (!activateAt || session.assumedRoleId === undefined) return;
  const { plan, deps } = state;
  session.armed = deps.revoker
    .arm({ ...revokeInput(state, session), activateAt })
    .then((result) =>
      state.record({
        event: "revocation.armed",
        ...state.common(),
        role: plan.task.role,
        sessionName: session.sessionName,
        policyName: result.policyName,
        activeFrom: activateAt.toISOString(),
      }),
    )
    .catch((error: unknown) => {
      deps.warn(`could not pre-arm the revocation of ${session.sessionName}: ${messageOf(error)}`);
    });
}

// The task's deadline: its timeout from the start of the run, when that comes
// before the credentials expire by themselves (without a timeout, STS expiry is the deadline).
function deadlineOf(state: RunState, session: StsSession): Date | undefined {
  if (state.plan.timeoutMs === undefined) return undefined;
  const deadline = state.started + state.plan.timeoutMs;
  return deadline < session.expiration.getTime() ? new Date(deadline) : undefined;
}

/** What the sessions' own credentials showed after the denies were written. */
export interface Confirmation {
  /** Sessions AWS refused with the explicit deny, and the longest it took. */
  seen: number;
  maxAfterMs: number | undefined;
  /** Sessions still not refused when the wait ran out (IAM propagation), and the wait. */
  notSeen: number;
  withinMs: number;
  /** Sessions not checked: --no-confirm, no credentials held, or already expired. */
  skipped: number;
}

type Revoked = { session: StsSession; result: RevokeResult; at: number };

// Revokes every session of the run that may exist; never throws, so every path can call it. The
// denies go on first, all of them; then each is confirmed with the session's own credentials,
// together, and only then is each recorded with what the confirmation showed.
export async function revokeAll(state: RunState): Promise<Revocation> {
  const unrevoked: StsSession[] = [];
  const revoked: Revoked[] = [];
  let error: TaskAccessError | undefined;
  state.progress.step({ kind: "revoke", sessions: state.sessions.length });
  // A refresh issued while this runs is in `sessions` too: loop until none is left unseen.
  for (let index = 0; index < state.sessions.length; index++) {
    const session = state.sessions[index] as StsSession;
    const outcome = await revokeSession(state, session);
    if (outcome.revoked) revoked.push(outcome.revoked);
    else unrevoked.push(session);
    error ??= outcome.error;
  }
  const sessions = revoked.length + unrevoked.length;
  state.progress.step({ kind: "revoked", sessions, failed: unrevoked.length });
  const confirming = revoked.filter((done) => confirmable(state, done)).length;
  if (confirming > 0) state.progress.step({ kind: "confirm", sessions: confirming });
  const outcomes = await Promise.all(revoked.map((done) => confirmSession(state, done)));
  // One after the other: the log keeps the order the sessions were issued in.
  for (const [index, done] of revoked.entries()) await recordRevoked(state, done, outcomes[index]);
  const still = unrevoked.length > 0 ? unrevoked : state.sessions;
  const latest = Math.max(...still.map((session) => session.expiration.getTime()));
  return {
    revoked: unrevoked.length === 0,
    error,
    expiration: still.length > 0 ? new Date(latest) : undefined,
    confirmation: summarizeConfirmation(state, outcomes),
  };
}

// Revokes one session (after its pre-armed deny settled); a failure is recorded here.
async function revokeSession(
  state: RunState,
  session: StsSession,
): Promise<{ revoked?: Revoked | undefined; error?: TaskAccessError | undefined }> {
  const { plan, deps } = state;
  await session.armed;
  try {
    const result = await deps.revoker.revoke(revokeInput(state, session));
    return { revoked: { session, result, at: deps.clock.now() } };
  } catch (error) {
    const failure =
      error instanceof TaskAccessError
        ? error
        : new TaskAccessError(messageOf(error), { exitCode: ExitCode.unavailable, cause: error });
    await state.record({
      event: "revocation.failed",
      ...state.common(),
      role: plan.task.role,
      sessionName: session.sessionName,
      error: failure.message,
      attempts: attemptsOf(error),
      expiration: session.expiration.toISOString(),
    });
    return { error: failure };
  }
}

// Asks AWS, with the session's own credentials, whether the deny holds yet; undefined: not asked.
async function confirmSession(state: RunState, done: Revoked): Promise<ConfirmOutcome | undefined> {
  const { confirm } = state.deps;
  const credentials = done.session.credentials;
  if (!confirm || !credentials || !confirmable(state, done)) return undefined;
  return confirm.confirmer
    .confirm({ roleArn: state.plan.task.role, credentials, since: done.at, withinMs: confirm.withinMs })
    .catch((error: unknown) => ({ state: "not-seen" as const, waitedMs: 0, last: messageOf(error) }));
}

// Asked only with --confirm-within and the session's credentials in hand; told to stop (a CI job
// cancelled), the record is written now, before the runner's SIGKILL.
function confirmable(state: RunState, done: Revoked): boolean {
  const { deps } = state;
  return Boolean(deps.confirm && done.session.credentials && !state.stopping && !deps.interruptedBy());
}

async function recordRevoked(state: RunState, done: Revoked, outcome: ConfirmOutcome | undefined) {
  await state.record({
    event: "session.revoked",
    ...state.common(),
    role: state.plan.task.role,
    sessionName: done.session.sessionName,
    policyName: done.result.policyName,
    method: done.result.method,
    attempts: done.result.attempts,
    note: done.result.note ?? null,
    ...confirmationFields(state, outcome),
  });
}

// session.revoked's record of the confirmation: seen after N ms, not seen within the wait, or not asked.
function confirmationFields(state: RunState, outcome: ConfirmOutcome | undefined): Record<string, unknown> {
  if (!outcome) return { confirmation: "skipped", confirmedAfterMs: null };
  if (outcome.state === "seen") return { confirmation: "seen", confirmedAfterMs: outcome.afterMs };
  if (outcome.state === "expired") return { confirmation: "expired", confirmedAfterMs: null };
  return {
    confirmation: "not-seen",
    confirmedAfterMs: null,
    confirmWithinMs: state.deps.confirm?.withinMs ?? 0,
    lastAnswer: outcome.last,
  };
}

function summarizeConfirmation(
  state: RunState,
  outcomes: Array<ConfirmOutcome | undefined>,
): Confirmation | undefined {
  if (outcomes.length === 0) return undefined;
  const seen = outcomes.flatMap((outcome) => (outcome?.state === "seen" ? [outcome.afterMs] : []));
  const notSeen = outcomes.filter((outcome) => outcome?.state === "not-seen").length;
  return {
    seen: seen.length,
    maxAfterMs: seen.length > 0 ? Math.max(...seen) : undefined,
    notSeen,
    withinMs: state.deps.confirm?.withinMs ?? 0,
    skipped: outcomes.length - seen.length - notSeen,
  };
}

function revokeInput(state: RunState, session: StsSession) {
  return {
    roleArn: state.plan.task.role,
    sessionName: session.sessionName,
    assumedRoleId: session.assumedRoleId,
    sessionTag: state.plan.sessionId,
    expiration: session.expiration,
  };
}
