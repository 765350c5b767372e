import { ExitCode, TaskAccessError } from "../errors.js";
import type { CallerIdentity, IssuedCredentials } from "./ports.js";
import type { RunEvent } from "./run-session.js";
import { definitelyNotIssued, interruptedOr, type RunState, unconfirmedSession } from "./run-state.js";
import { makeSessionName } from "./session-id.js";

export interface Issued {
  caller: CallerIdentity;
  credentials: IssuedCredentials;
  /** By the clock of refresh decisions, before STS was asked: the credentials are no older. */
  issuedAt: number;
}

// GetCallerIdentity, then AssumeRole with the task's session policy; the user's interrupt and the
// STS deadline stop both. A failure that may have issued credentials leaves an unconfirmed session
// in state.sessions for the revoke phase. Throws a TaskAccessError on any failure.
export async function issueCredentials(state: RunState): Promise<Issued> {
  const { plan, deps } = state;
  const signal = deps.stsDeadline
    ? AbortSignal.any([deps.interrupt, deps.stsDeadline.signal])
    : deps.interrupt;
  let caller: CallerIdentity;
  try {
    caller = await deps.issuer.callerIdentity(signal);
    state.callerArn = caller.arn;
  } catch (error) {
    // No credentials can have been issued: GetCallerIdentity creates nothing.
    throw stsFailure(state, error, "Could not identify the base credentials (sts:GetCallerIdentity)");
  }
  const issuedAt = deps.clock.now();
  try {
    const credentials = await assumeRole(state, plan.sessionName, signal);
    state.sessions.push(sessionOf(plan.sessionName, credentials));
    await deps.audit.append(issuedEvent(state, credentials, plan.sessionName, 0));
    return { caller, credentials, issuedAt };
  } catch (error) {
    // Issued or not, the first session is revoked if it may exist (interrupted, timed out, cut off).
    const failure = stsFailure(state, error, `Could not assume role ${plan.task.role}`);
    if (state.sessions.length === 0 && !definitelyNotIssued(failure)) {
      state.sessions.push(unconfirmedSession(state, plan.sessionName));
    }
    throw failure;
  }
}

// `server` mode's refresh: a new STS session ta-<task>-<id>-r<N> with the same policy and tags,
// logged before the endpoint serves it. A failed attempt keeps its name for the retry: a session
// STS may have issued despite the error then shares the retry's aws:userid and so its revoke policy.
export function createRefresher(state: RunState, onIssued: (sessionIndex: number) => void) {
  let refreshes = 0;
  const refresh = async (): Promise<IssuedCredentials> => {
    const next = refreshes + 1;
    const sessionName = makeSessionName(state.plan.task.name, state.plan.sessionId, next);
    const earlier = state.sessions.findIndex((session) => session.sessionName === sessionName);
    let issued: IssuedCredentials;
    try {
      issued = await assumeRole(state, sessionName);
    } catch (error) {
      if (!definitelyNotIssued(error) && earlier === -1)
        state.sessions.push(unconfirmedSession(state, sessionName));
      throw error;
    }
    refreshes = next;
    const index = earlier === -1 ? state.sessions.length : earlier;
    state.sessions[index] = sessionOf(sessionName, issued);
    await state.deps.audit.append(issuedEvent(state, issued, sessionName, next));
    onIssued(index);
    return issued;
  };
  return { refresh, count: () => refreshes };
}

function assumeRole(state: RunState, sessionName: string, signal?: AbortSignal) {
  const { plan } = state;
  return state.deps.issuer.assumeRole({
    roleArn: plan.task.role,
    sessionName,
    policy: plan.policy,
    policyArns: plan.task.policyArns,
    durationSeconds: plan.task.durationSeconds,
    sourceIdentity: plan.sourceIdentity,
    tags: plan.tags,
    signal,
  });
}

function sessionOf(sessionName: string, issued: IssuedCredentials) {
  return { sessionName, assumedRoleId: issued.assumedRoleId, expiration: issued.expiration };
}

function issuedEvent(
  state: RunState,
  issued: IssuedCredentials,
  sessionName: string,
  refresh: number,
): RunEvent {
  const { plan } = state;
  return {
    event: "credentials.issued",
    ...state.common(),
    role: plan.task.role,
    sessionName,
    assumedRoleId: issued.assumedRoleId,
    assumedRoleArn: issued.assumedRoleArn,
    accessKeyId: issued.accessKeyId,
    expiration: issued.expiration.toISOString(),
    sourceIdentity: issued.sourceIdentity ?? plan.sourceIdentity ?? null,
    tags: plan.tags,
    policy: plan.policy,
    policySha256: plan.policySha256,
    policyArns: plan.task.policyArns,
    packedPolicySize: issued.packedPolicySize ?? null,
    ...(refresh > 0 ? { refresh } : {}),
  };
}

// The STS deadline's own message, or the interrupt, or the failure as it is.
function stsFailure(state: RunState, error: unknown, what: string): TaskAccessError {
  const { deps } = state;
  if (!deps.interruptedBy() && deps.stsDeadline?.signal.aborted) {
    return new TaskAccessError(
      `${what}: no answer from STS within ${deps.stsDeadline.ms / 1000} s, retries included`,
      {
        exitCode: ExitCode.unavailable,
        hint: "check the network, the region and --endpoint-url; TASKACCESS_STS_DEADLINE sets the limit in seconds",
        cause: error,
      },
    );
  }
  return interruptedOr(deps, error);
}
