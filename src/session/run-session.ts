import { constants } from "node:os";
import { ExitCode, TaskAccessError } from "../errors.js";
import { buildChildEnv } from "./child-env.js";
import { type CredentialDelivery, startCredentialDelivery } from "./credential-delivery.js";
import type { RunPlan } from "./plan-run.js";
import type {
  CallerIdentity,
  Clock,
  CredentialIssuer,
  IssuedCredentials,
  ProcessResult,
  ProcessRunner,
  Revoker,
} from "./ports.js";
import { exitStatusOf } from "./process-runner.js";
import { attemptsOf } from "./revocation-error.js";
import { makeSessionName } from "./session-id.js";

// The one event shape the run writes; src/audit gives each line its seq and hash chain.
export type RunEvent = { event: string; time: string; session: string; task: string } & Record<
  string,
  unknown
>;

export interface RunAuditSink {
  append: (event: RunEvent) => Promise<unknown>;
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
}

export interface RunOutcome {
  exitCode: number;
  sessionId: string;
  sessionName: string;
  caller: CallerIdentity;
  child?: ProcessResult | undefined;
  revoked: boolean;
  revocationError?: TaskAccessError | undefined;
  expiration?: Date | undefined;
  durationMs: number;
  /** Set when taskaccess itself failed after the session started; teardown has run. */
  failure?: TaskAccessError | undefined;
  /** STS sessions issued after the first (`--credentials server` re-assuming before expiry). */
  refreshes?: number | undefined;
}

/** One STS session of a run: the first, or a refresh. Each is revoked at the end. */
interface StsSession {
  sessionName: string;
  /** Unknown when AssumeRole failed in a way that may still have issued credentials. */
  assumedRoleId: string | undefined;
  expiration: Date;
}

// plan → assume → supervise → revoke → record. Every exit path after AssumeRole goes through the
// finally block that revokes; the session's start is in the log before STS is asked for anything.
export async function runSession(plan: RunPlan, deps: RunDeps): Promise<RunOutcome> {
  const { clock, audit } = deps;
  const started = clock.now();
  const region = plan.task.region ?? (await deps.issuer.region());
  // Unknown until STS says; the start record is written before any STS call, so it has none.
  let callerArn: string | null = null;
  const common = () => ({
    time: new Date(clock.now()).toISOString(),
    session: plan.sessionId,
    task: plan.task.name,
    caller: callerArn,
    host: deps.host,
    ...(plan.ci ? { ci: plan.ci } : {}),
  });
  try {
    await audit.append({
      event: "session.start",
      ...common(),
      role: plan.task.role,
      sessionName: plan.sessionName,
      params: plan.params,
      reason: plan.reason,
      durationSeconds: plan.task.durationSeconds,
      timeoutSeconds: plan.task.timeoutSeconds ?? null,
      sourceIdentity: plan.sourceIdentity ?? null,
      policySha256: plan.policySha256,
      argv: deps.argv,
      pid: deps.pid,
      credentialDelivery: plan.credentials,
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

  const record = (event: RunEvent) =>
    audit.append(event).catch((error: unknown) => {
      deps.warn(`could not write ${event.event} to the session log: ${messageOf(error)}`);
    });

  // A session AssumeRole may have issued without telling us: no id, and at most a full lifetime left.
  const unconfirmedSession = (sessionName: string): StsSession => ({
    sessionName,
    assumedRoleId: undefined,
    expiration: new Date(clock.now() + plan.task.durationSeconds * 1000),
  });

  // Revokes the session and records the outcome; never throws, so every path can call it.
  const revokeAndRecord = async ({
    sessionName,
    assumedRoleId,
    expiration,
  }: StsSession): Promise<{ revoked: boolean; error?: TaskAccessError | undefined }> => {
    try {
      const result = await deps.revoker.revoke({
        roleArn: plan.task.role,
        sessionName,
        assumedRoleId,
        sessionTag: plan.sessionId,
        expiration,
      });
      await record({
        event: "session.revoked",
        ...common(),
        role: plan.task.role,
        sessionName,
        policyName: result.policyName,
        method: result.method,
        attempts: result.attempts,
        note: result.note ?? null,
      });
      return { revoked: true };
    } catch (error) {
      const revocationError =
        error instanceof TaskAccessError
          ? error
          : new TaskAccessError(messageOf(error), { exitCode: ExitCode.unavailable, cause: error });
      await record({
        event: "revocation.failed",
        ...common(),
        role: plan.task.role,
        sessionName,
        error: revocationError.message,
        attempts: attemptsOf(error),
        expiration: expiration.toISOString(),
      });
      return { revoked: false, error: revocationError };
    }
  };

  // Until the credentials are issued, the user's interrupt and the STS deadline both stop the wait.
  const stsSignal = deps.stsDeadline
    ? AbortSignal.any([deps.interrupt, deps.stsDeadline.signal])
    : deps.interrupt;
  const stsFailure = (error: unknown, what: string): TaskAccessError => {
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
  };

  let caller: CallerIdentity;
  try {
    caller = await deps.issuer.callerIdentity(stsSignal);
    callerArn = caller.arn;
  } catch (error) {
    // No credentials can have been issued: GetCallerIdentity creates nothing.
    const failure = stsFailure(error, "Could not identify the base credentials (sts:GetCallerIdentity)");
    await record({
      event: "session.end",
      ...common(),
      exitCode: failure.exitCode,
      durationMs: clock.now() - started,
      revoked: false,
      error: failure.message,
    });
    throw failure;
  }

  const assumeRole = (sessionName: string, signal?: AbortSignal) =>
    deps.issuer.assumeRole({
      roleArn: plan.task.role,
      sessionName,
      policy: plan.policy,
      policyArns: plan.task.policyArns,
      durationSeconds: plan.task.durationSeconds,
      sourceIdentity: plan.sourceIdentity,
      tags: plan.tags,
      signal,
    });
  const issuedEvent = (issued: IssuedCredentials, sessionName: string, refresh: number): RunEvent => ({
    event: "credentials.issued",
    ...common(),
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
  });

  let credentials: IssuedCredentials;
  // By the clock of refresh decisions, before STS is asked: the credentials are no older than this.
  const issuedAt = clock.now();
  try {
    credentials = await assumeRole(plan.sessionName, stsSignal);
  } catch (error) {
    const failure = stsFailure(error, `Could not assume role ${plan.task.role}`);
    // Interrupted, timed out or cut off: STS may have issued credentials that never reached us.
    // Only a definite refusal (access denied, a malformed request) is known to have issued none.
    const definite = definitelyNotIssued(failure);
    const teardown = definite
      ? { revoked: false }
      : await revokeAndRecord(unconfirmedSession(plan.sessionName));
    await record({
      event: "session.end",
      ...common(),
      exitCode: failure.exitCode,
      durationMs: clock.now() - started,
      revoked: teardown.revoked,
      error: failure.message,
    });
    if (definite) throw failure;
    return {
      exitCode: failure.exitCode,
      sessionId: plan.sessionId,
      sessionName: plan.sessionName,
      caller,
      revoked: teardown.revoked,
      revocationError: teardown.error,
      durationMs: clock.now() - started,
      failure,
    };
  }

  // Every STS session of the run, in issue order; all of them are revoked at the end.
  const sessions: StsSession[] = [
    {
      sessionName: plan.sessionName,
      assumedRoleId: credentials.assumedRoleId,
      expiration: credentials.expiration,
    },
  ];
  let refreshes = 0;
  // `server` mode: a new STS session (ta-<task>-<id>-r<N>, same policy and tags), logged before
  // the endpoint serves it. A failed attempt keeps its name for the retry: a session STS may have
  // issued despite the error then shares the retry's aws:userid and so its revoke policy, and the
  // names in the log stay r1, r2, … without gaps (revoke --pending relies on that).
  const refresh = async (): Promise<IssuedCredentials> => {
    const next = refreshes + 1;
    const sessionName = makeSessionName(plan.task.name, plan.sessionId, next);
    const earlier = sessions.findIndex((session) => session.sessionName === sessionName);
    let issued: IssuedCredentials;
    try {
      issued = await assumeRole(sessionName);
    } catch (error) {
      if (!definitelyNotIssued(error) && earlier === -1) sessions.push(unconfirmedSession(sessionName));
      throw error;
    }
    refreshes = next;
    const session = { sessionName, assumedRoleId: issued.assumedRoleId, expiration: issued.expiration };
    if (earlier === -1) sessions.push(session);
    else sessions[earlier] = session;
    await audit.append(issuedEvent(issued, sessionName, next));
    return issued;
  };

  let exitCode: number = ExitCode.internal;
  let child: ProcessResult | undefined;
  let failure: TaskAccessError | undefined;
  let revoked = false;
  let revocationError: TaskAccessError | undefined;
  let expiration: Date;
  let delivery: CredentialDelivery | undefined;
  try {
    await audit.append(issuedEvent(credentials, plan.sessionName, 0));
    const signal = deps.interruptedBy();
    if (signal) throw interruptError(signal);
    delivery = await startCredentialDelivery({
      mode: plan.credentials,
      initial: { credentials, issuedAt },
      lifetimeSeconds: plan.task.durationSeconds,
      region,
      sessionId: plan.sessionId,
      clock,
      refresh,
      warn: deps.warn,
    });
    const { env } = buildChildEnv({
      parent: deps.env,
      credentialVariables: delivery.variables,
      region,
      sessionId: plan.sessionId,
      task: plan.task.name,
    });
    child = await deps.runner.run({
      command: plan.command,
      args: plan.args,
      env,
      cwd: deps.cwd,
      timeoutMs: plan.timeoutMs,
      graceMs: plan.graceMs,
      onStart: async (pid) => {
        await record({
          event: "process.start",
          ...common(),
          argv: [plan.command, ...plan.args],
          cwd: deps.cwd,
          pid,
        });
      },
    });
    await record({
      event: "process.exit",
      ...common(),
      code: child.code,
      signal: child.signal,
      durationMs: child.durationMs,
      timedOut: child.timedOut,
      ...(child.spawnError ? { error: child.spawnError } : {}),
    });
    exitCode = exitStatusOf(child);
    if (child.spawnError) {
      deps.warn(`could not start ${plan.command}: ${child.spawnError}`);
    }
  } catch (error) {
    failure = interruptedOr(deps, error);
    exitCode = failure.exitCode;
  } finally {
    // The task has ended: the endpoint stops answering and the files go before anything else.
    await delivery?.close().catch((error: unknown) => {
      deps.warn(`could not end the ${delivery?.mode} credential delivery: ${messageOf(error)}`);
    });
    const unrevoked: StsSession[] = [];
    for (const session of sessions) {
      const teardown = await revokeAndRecord(session);
      if (!teardown.revoked) unrevoked.push(session);
      revocationError ??= teardown.error;
    }
    revoked = unrevoked.length === 0;
    // What the summary names when revocation failed: the last moment any of them stays valid.
    const still = unrevoked.length > 0 ? unrevoked : sessions;
    expiration = new Date(Math.max(...still.map((session) => session.expiration.getTime())));
    await record({
      event: "session.end",
      ...common(),
      exitCode,
      durationMs: clock.now() - started,
      revoked,
      ...(failure ? { error: failure.message } : {}),
    });
  }
  return {
    exitCode,
    sessionId: plan.sessionId,
    sessionName: plan.sessionName,
    caller,
    child,
    revoked,
    revocationError,
    expiration,
    durationMs: clock.now() - started,
    failure,
    refreshes,
  };
}

// A refusal (access denied, a request STS found malformed) is known to have issued nothing; any
// other failure (interrupted, timed out, cut off) may have issued credentials that never arrived.
function definitelyNotIssued(error: unknown): boolean {
  return (
    error instanceof TaskAccessError &&
    (error.exitCode === ExitCode.accessDenied || error.exitCode === ExitCode.taskFile)
  );
}

function interruptError(signal: NodeJS.Signals): TaskAccessError {
  return new TaskAccessError(`interrupted by ${signal} before the command started`, {
    exitCode: 128 + (constants.signals[signal] ?? 0),
  });
}

function interruptedOr(deps: RunDeps, error: unknown): TaskAccessError {
  const signal = deps.interruptedBy();
  if (signal) return interruptError(signal);
  if (error instanceof TaskAccessError) return error;
  return new TaskAccessError(messageOf(error), { exitCode: ExitCode.internal, cause: error });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
