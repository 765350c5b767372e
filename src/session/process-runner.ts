import { constants } from "node:os";
import { execa } from "execa";
import type { ProcessResult, ProcessRunner, RunProcessInput } from "./ports.js";
import { isRunning, listDescendants, signalAll } from "./process-tree.js";

/** Signals taskaccess passes on to the child rather than dying of them itself. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

export interface SignalSource {
  on: (signal: NodeJS.Signals, listener: () => void) => void;
  off: (signal: NodeJS.Signals, listener: () => void) => void;
}

// Runs the command with execa: no shell, the environment exactly as built (extendEnv: false),
// stdio inherited so output is untouched, the task's timeout (SIGTERM, then SIGKILL after the
// grace period), and the signals taskaccess receives forwarded to the child. taskaccess stays
// alive throughout, because it still has to revoke when the child is gone.
export function createProcessRunner(signals: SignalSource, now: () => number = Date.now): ProcessRunner {
  return {
    run: async (input: RunProcessInput): Promise<ProcessResult> => {
      const started = now();
      const child = execa(input.command, input.args, {
        env: input.env,
        extendEnv: false,
        cwd: input.cwd,
        stdio: "inherit",
        reject: false,
        shell: false,
      });
      // The timeout stops the whole tree: the command and every process it started (SIGTERM,
      // then SIGKILL after the grace period to whatever is left), found before any of them dies.
      let timedOut = false;
      let tree: number[] = [];
      const timers: NodeJS.Timeout[] = [];
      if (input.timeoutMs !== undefined) {
        timers.push(
          setTimeout(() => {
            timedOut = true;
            tree = child.pid === undefined ? [] : [child.pid, ...listDescendants(child.pid)];
            signalAll(tree, "SIGTERM");
            timers.push(
              setTimeout(() => {
                const rest = child.pid === undefined ? [] : listDescendants(child.pid);
                signalAll([...tree, ...rest], "SIGKILL");
              }, input.graceMs),
            );
          }, input.timeoutMs),
        );
      }
      const forwarders = FORWARDED_SIGNALS.map((signal) => {
        const listener = () => {
          child.kill(signal);
        };
        signals.on(signal, listener);
        return { signal, listener };
      });
      try {
        if (child.pid !== undefined) await input.onStart(child.pid);
        const result = await child;
        // The command is gone; a grandchild that ignored SIGTERM still gets its SIGKILL in time.
        if (!timedOut || !tree.some(isRunning)) for (const timer of timers) clearTimeout(timer);
        const spawnError =
          result.failed && result.exitCode === undefined && result.signal === undefined && !timedOut
            ? result.cause instanceof Error
              ? result.cause.message
              : result.shortMessage
            : undefined;
        return {
          code: result.exitCode ?? null,
          signal: (result.signal as NodeJS.Signals | undefined) ?? null,
          timedOut,
          durationMs: now() - started,
          ...(spawnError ? { spawnError } : {}),
        };
      } finally {
        for (const { signal, listener } of forwarders) signals.off(signal, listener);
      }
    },
  };
}

// The exit status a shell would report: the code, or 128 + N when the child died of signal N.
export function exitStatusOf(result: Pick<ProcessResult, "code" | "signal" | "spawnError">): number {
  if (result.spawnError) return 127;
  if (result.signal) return 128 + (constants.signals[result.signal] ?? 0);
  return result.code ?? 1;
}
