import { ExitCode, TaskAccessError } from "../errors.js";
import type { CallerIdentity, IssuedCredentials, RevocationReadiness } from "./ports.js";
import type { RunEvent } from "./run-session.js";
import {
  definitelyNotIssued,
  interruptedOr,
  type RunState,
  type StsSession,
  unconfirmedSession,
} from "./run-state.js";
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
  state.progress.step({ kind: "identify" });
  try {
    caller = await deps.issuer.callerIdentity(signal);
    state.callerArn = caller.arn;
  } catch (error) {
    // No credentials can have been issued: GetCallerIdentity creates nothing.
    throw stsFailure(state, error, "Could not identify the base credentials (sts:GetCallerIdentity)");
  }
  await prepareRevocation(state, signal);
  const issuedAt = deps.clock.now();
  state.progress.step({ kind: "assume-role", role: plan.task.role });
  try {
    const credentials = await assumeRole(state, plan.sessionName, signal, true);
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

// Before anything is issued: an identity in the role's account must be able to write its denies
// (cross-account roles, missing IAM permissions), else the run stops here, having granted nothing.
async function prepareRevocation(state: RunState, signal: AbortSignal): Promise<void> {
  const { plan, deps } = state;
  let readiness: RevocationReadiness;
  state.progress.step({ kind: "check-revocation", role: plan.task.role });
  try {
    readiness = await abortable(deps.revoker.prepare(plan.task.role), signal);
  } catch (error) {
    throw stsFailure(state, error, `Could not check how ${plan.task.role} is revoked`, "IAM");
  }
  const { boundary } = readiness;
  await state.record({
    event: "revocation.ready",
    ...state.common(),
    role: plan.task.role,
    via: readiness.via,
    revokerRole: readiness.revokerRole ?? null,
    boundary: boundary.state === "set" ? boundary.arn : boundary.state === "none" ? null : "unknown",
  });
  if (boundary.state === "none") {
    deps.warn(
      `${plan.task.role} has no permissions boundary: the identity that revokes its sessions may put inline policies on it, and so could widen it too; see docs/security-model.md, "The guard on the revoking identity"`,
    );
  }
}

// Stops waiting when the signal fires (the promise itself runs on; it grants nothing).
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

// One AssumeRole of the run. Only the first sends the MFA code: a code is good for one call, and a
// run with MFA has no refreshes (plan-run.ts refuses the server delivery with MFA).
function assumeRole(state: RunState, sessionName: string, signal?: AbortSignal, first = false) {
  const { plan, deps } = state;
  const mfa =
    first && plan.mfaSerial !== undefined && deps.mfaCode !== undefined
      ? { serialNumber: plan.mfaSerial, tokenCode: deps.mfaCode.reveal() }
      : undefined;
  return deps.issuer.assumeRole({
    roleArn: plan.task.role,
    sessionName,
    policy: plan.policy,
    policyArns: plan.task.policyArns,
    durationSeconds: plan.durationSeconds,
    sourceIdentity: plan.sourceIdentity,
    tags: plan.tags,
    externalId: plan.externalId,
    mfa,
    signal,
  });
}

function sessionOf(sessionName: string, issued: IssuedCredentials): StsSession {
  const { accessKeyId, secretAccessKey, sessionToken } = issued;
  return {
    sessionName,
    assumedRoleId: issued.assumedRoleId,
    expiration: issued.expiration,
    credentials: { accessKeyId, secretAccessKey, sessionToken },
  };
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
function stsFailure(
  state: RunState,
  error: unknown,
  what: string,
  service: "STS" | "IAM" = "STS",
): TaskAccessError {
  const { deps } = state;
  if (!deps.interruptedBy() && deps.stsDeadline?.signal.aborted) {
    const where = service === "STS" ? "--endpoint-url" : "--iam-endpoint-url or AWS_ENDPOINT_URL_IAM";
    return new TaskAccessError(
      `${what}: no answer from ${service} within ${deps.stsDeadline.ms / 1000} s, retries included`,
      {
        exitCode: ExitCode.unavailable,
        hint: `check the network, the region and ${where}; TASKACCESS_STS_DEADLINE sets the limit in seconds`,
        cause: error,
      },
    );
  }
  return interruptedOr(deps, error);
}
