import { ExitCode, TaskAccessError } from "../errors.js";
import { attemptsOf } from "./revocation-error.js";
import { messageOf, type RunState, type StsSession } from "./run-state.js";

export interface Revocation {
  revoked: boolean;
  /** The first failure, when any session could not be revoked. */
  error?: TaskAccessError | undefined;
  /** The last moment any unrevoked session stays valid (or, all revoked, any session would have). */
  expiration: Date | undefined;
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

// Revokes every session of the run that may exist; never throws, so every path can call it.
export async function revokeAll(state: RunState): Promise<Revocation> {
  const unrevoked: StsSession[] = [];
  let error: TaskAccessError | undefined;
  // A refresh issued while this runs is in `sessions` too: loop until none is left unseen.
  for (let index = 0; index < state.sessions.length; index++) {
    const session = state.sessions[index] as StsSession;
    const outcome = await revokeSession(state, session);
    if (!outcome.revoked) unrevoked.push(session);
    error ??= outcome.error;
  }
  const still = unrevoked.length > 0 ? unrevoked : state.sessions;
  const latest = Math.max(...still.map((session) => session.expiration.getTime()));
  return {
    revoked: unrevoked.length === 0,
    error,
    expiration: still.length > 0 ? new Date(latest) : undefined,
  };
}

// Revokes one session (after its pre-armed deny settled) and records the outcome.
async function revokeSession(
  state: RunState,
  session: StsSession,
): Promise<{ revoked: boolean; error?: TaskAccessError | undefined }> {
  const { plan, deps } = state;
  await session.armed;
  try {
    const result = await deps.revoker.revoke(revokeInput(state, session));
    await state.record({
      event: "session.revoked",
      ...state.common(),
      role: plan.task.role,
      sessionName: session.sessionName,
      policyName: result.policyName,
      method: result.method,
      attempts: result.attempts,
      note: result.note ?? null,
    });
    return { revoked: true };
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
    return { revoked: false, error: failure };
  }
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
