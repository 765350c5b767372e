import { constants } from "node:os";
import type { Readable } from "node:stream";
import { execa } from "execa";
import { BWRAP_STATUS_FD } from "./bwrap.js";
import type { ProcessResult, ProcessRunner, RunProcessInput } from "./ports.js";
import { listChildren, listDescendants, signalAll, startTimeOf } from "./process-tree.js";

/** Signals taskaccess passes on to the child rather than dying of them itself. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
/** The signals that ask a run to stop: the first starts the revocation deadline and the grace period. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
/**
 * Passed on as they are, never a reason to stop: a resized terminal reaches a command that has a
 * session of its own (an isolated shell's script(1), shell-terminal.ts) only through taskaccess.
 */
export const PASSED_SIGNALS: readonly NodeJS.Signals[] = ["SIGWINCH"];

export interface SignalSource {
  on: (signal: NodeJS.Signals, listener: () => void) => void;
  off: (signal: NodeJS.Signals, listener: () => void) => void;
}

// Runs the command with execa: no shell, the environment exactly as built (extendEnv: false),
// stdio inherited so output is untouched, inside bubblewrap when isolated. A signal taskaccess
// receives goes to the command's whole process tree; the first stop signal and the task's timeout
// each give it the grace period before SIGKILL. taskaccess stays alive throughout: it must revoke.
export function createProcessRunner(signals: SignalSource, now: () => number = Date.now): ProcessRunner {
  return {
    run: async (input: RunProcessInput): Promise<ProcessResult> => {
      const started = now();
      const [file, ...wrapperArgs] = input.wrapper ?? [];
      const isolated = file !== undefined;
      const child = execa(
        file ?? input.command,
        [...wrapperArgs, ...(isolated ? [input.command] : []), ...input.args],
        {
          env: input.env,
          extendEnv: false,
          cwd: input.cwd,
          stdio: isolated ? ["inherit", "inherit", "inherit", "pipe"] : "inherit",
          reject: false,
          shell: false,
        },
      );
      const tree = commandTree(child.pid, isolated);
      const delivered = new Set<NodeJS.Signals>();
      let timedOut = false;
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (signal: NodeJS.Signals) => {
        delivered.add(signal);
        tree.signal(signal);
        // Whatever it does with the signal, the whole tree is killed after the grace period.
        killTimer ??= setTimeout(() => {
          delivered.add("SIGKILL");
          tree.kill();
        }, input.graceMs);
      };
      const timeout =
        input.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              stop("SIGTERM");
            }, input.timeoutMs);
      let stopSignal: NodeJS.Signals | undefined;
      const forwarders = FORWARDED_SIGNALS.map((signal) => {
        const listener = () => {
          if (!STOP_SIGNALS.includes(signal) || stopSignal) {
            delivered.add(signal);
            tree.signal(signal);
            return;
          }
          stopSignal = signal;
          stop(signal);
          input.onStopSignal?.(signal);
        };
        signals.on(signal, listener);
        return { signal, listener };
      });
      for (const signal of PASSED_SIGNALS) {
        const listener = () => tree.signal(signal);
        signals.on(signal, listener);
        forwarders.push({ signal, listener });
      }
      try {
        const pid = isolated
          ? await commandPid(child.stdio[BWRAP_STATUS_FD] as Readable | undefined)
          : child.pid;
        if (pid !== undefined) await input.onStart(pid);
        const result = await child;
        if (timeout) clearTimeout(timeout);
        if (killTimer) clearTimeout(killTimer);
        // The task is over: whatever it started and left behind goes now, not at the grace period's
        // end (isolated, the namespace is gone already; unisolated, these are the ones seen).
        if (!isolated) tree.killLeftovers();
        const spawnError = spawnErrorOf(result, timedOut, isolated && pid === undefined);
        const signal = signalOf(result, isolated, delivered);
        return {
          code: signal ? null : (result.exitCode ?? null),
          signal,
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

interface CommandTree {
  signal: (signal: NodeJS.Signals) => void;
  /** SIGKILL to every process of the command still running, and to the sandbox. */
  kill: () => void;
  /**
   * SIGKILL to the processes already seen that still run, without looking for new ones: once the
   * command is reaped its pid may belong to another process, whose tree is not the command's.
   */
  killLeftovers: () => void;
}

// The processes that are the command's: the child and its descendants, or, isolated, everything in
// the namespace but bubblewrap's init, which ignores signals; killing that init kills the namespace.
// Each is remembered with its start time, so that one orphaned since is still found and a pid reused
// since is left alone.
function commandTree(root: number | undefined, isolated: boolean): CommandTree {
  const seen = new Map<number, string | undefined>();
  const remembered = (): number[] =>
    [...seen].filter(([pid, started]) => startTimeOf(pid) === started).map(([pid]) => pid);
  const current = (): number[] => {
    if (root !== undefined) {
      const found = isolated
        ? listChildren(root).flatMap((init) => listDescendants(init))
        : [root, ...listDescendants(root)];
      for (const pid of found) if (!seen.has(pid)) seen.set(pid, startTimeOf(pid));
    }
    return remembered();
  };
  return {
    signal: (signal) => signalAll(current(), signal),
    kill: () => {
      const pids = current();
      signalAll(isolated && root !== undefined ? [...listChildren(root), ...pids] : pids, "SIGKILL");
    },
    killLeftovers: () => signalAll(remembered(), "SIGKILL"),
  };
}

// bubblewrap writes {"child-pid": N} to its status descriptor once the command runs; nothing there
// means the sandbox could not be set up.
function commandPid(status: Readable | undefined): Promise<number | undefined> {
  if (!status) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let text = "";
    // Read to the end: bubblewrap writes the exit code there too, and a closed pipe would kill it.
    status.on("data", (chunk) => {
      text += String(chunk);
      const match = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    status.on("end", () => resolve(undefined));
    status.on("error", () => resolve(undefined));
  });
}

function spawnErrorOf(
  result: {
    failed: boolean;
    exitCode?: number | undefined;
    signal?: string | undefined;
    cause?: unknown;
    shortMessage?: string | undefined;
  },
  timedOut: boolean,
  sandboxFailed: boolean,
): string | undefined {
  if (sandboxFailed) return "the isolation sandbox (bubblewrap) could not start the command";
  if (!result.failed || result.exitCode !== undefined || result.signal !== undefined || timedOut)
    return undefined;
  return result.cause instanceof Error ? result.cause.message : result.shortMessage;
}

// bubblewrap reports a command killed by signal N as exit 128+N: read back as that signal only
// when taskaccess delivered it, so a command's own `exit 143` stays an exit code.
function signalOf(
  result: { exitCode?: number | undefined; signal?: string | undefined },
  isolated: boolean,
  delivered: ReadonlySet<NodeJS.Signals>,
): NodeJS.Signals | null {
  if (result.signal) return result.signal as NodeJS.Signals;
  if (!isolated || result.exitCode === undefined || result.exitCode <= 128) return null;
  const signal = [...delivered].find((name) => constants.signals[name] === (result.exitCode ?? 0) - 128);
  return signal ?? null;
}
