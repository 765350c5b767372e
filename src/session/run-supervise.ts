import type { TaskAccessError } from "../errors.js";
import { buildChildEnv } from "./child-env.js";
import { type CredentialDelivery, startCredentialDelivery } from "./credential-delivery.js";
import { exitStatusOf } from "./exit-status.js";
import type { ProcessResult } from "./ports.js";
import { createRefresher, type Issued } from "./run-issue.js";
import { armSession } from "./run-revoke.js";
import { interruptError, interruptedOr, messageOf, type RunState } from "./run-state.js";

export interface Supervised {
  child?: ProcessResult | undefined;
  failure?: TaskAccessError | undefined;
  exitCode: number;
  refreshes: number;
}

// Hands the credentials over, runs the command and waits for it. Ends the access (endAccess: the
// delivery closed, every session revoked) as soon as the command is gone, or, after a stop signal,
// at the revocation deadline even while the command is still cleaning up. Never throws.
export async function supervise(
  state: RunState,
  issued: Issued,
  endAccess: () => Promise<unknown>,
): Promise<Supervised> {
  const { plan, deps } = state;
  const refresher = createRefresher(state, (index) => {
    const session = state.sessions[index];
    if (session) armSession(state, session);
  });
  let delivery: CredentialDelivery | undefined;
  let deadline: NodeJS.Timeout | undefined;
  const closeDelivery = async () => {
    await delivery?.close().catch((error: unknown) => {
      deps.warn(`could not end the ${delivery?.mode} credential delivery: ${messageOf(error)}`);
    });
  };
  try {
    for (const session of state.sessions) armSession(state, session);
    const signal = deps.interruptedBy();
    if (signal) throw interruptError(signal);
    delivery = await startCredentialDelivery({
      mode: plan.credentials,
      initial: { credentials: issued.credentials, issuedAt: issued.issuedAt },
      lifetimeSeconds: plan.durationSeconds,
      region: state.region,
      sessionId: plan.sessionId,
      clock: deps.clock,
      refresh: refresher.refresh,
      warn: deps.warn,
    });
    const { env } = buildChildEnv({
      parent: deps.env,
      credentialVariables: delivery.variables,
      region: state.region,
      sessionId: plan.sessionId,
      task: plan.task.name,
    });
    state.progress.step({
      kind: "start-command",
      command: plan.command,
      interactive: plan.interactive,
      sessionName: plan.sessionName,
    });
    const child = await deps.runner.run({
      command: plan.command,
      args: plan.args,
      env,
      cwd: deps.cwd,
      timeoutMs: plan.timeoutMs,
      graceMs: plan.graceMs,
      wrapper: deps.isolation.wrapper,
      onStart: (pid) => recordProcessStart(state, pid),
      onStopSignal: () => {
        state.stopping = true;
        // The runner's SIGKILL comes after the grace period; access ends sooner, whatever the command does.
        deadline = setTimeout(() => void closeDelivery().then(endAccess), plan.revokeWithinMs);
      },
    });
    await recordProcessExit(state, child);
    if (child.spawnError) deps.warn(`could not start ${plan.command}: ${child.spawnError}`);
    return { child, exitCode: exitStatusOf(child), refreshes: refresher.count() };
  } catch (error) {
    const failure = interruptedOr(deps, error);
    return { failure, exitCode: failure.exitCode, refreshes: refresher.count() };
  } finally {
    if (deadline) clearTimeout(deadline);
    // The task has ended: the endpoint stops answering and the files go before anything else.
    await closeDelivery();
  }
}

async function recordProcessStart(state: RunState, pid: number): Promise<void> {
  await state.record({
    event: "process.start",
    ...state.common(),
    argv: [state.plan.command, ...state.plan.args],
    cwd: state.deps.cwd,
    pid,
  });
}

async function recordProcessExit(state: RunState, child: ProcessResult): Promise<void> {
  await state.record({
    event: "process.exit",
    ...state.common(),
    code: child.code,
    signal: child.signal,
    durationMs: child.durationMs,
    timedOut: child.timedOut,
    ...(child.spawnError ? { error: child.spawnError } : {}),
  });
}
