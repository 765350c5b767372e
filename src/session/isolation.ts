import { ExitCode, TaskAccessError, UsageError } from "../errors.js";

/** `run --isolation` and the task file's `isolation`. */
export const ISOLATION_MODES = ["auto", "namespace", "none"] as const;
export type IsolationMode = (typeof ISOLATION_MODES)[number];
export const DEFAULT_ISOLATION_MODE: IsolationMode = "auto";

/** What a run actually used; recorded in session.start. */
export type AppliedIsolation = "namespace" | "none";

/** What this machine can do, as found by probing it (isolation-probe.ts). */
export interface IsolationSupport {
  available: boolean;
  /** Why not, in a sentence, when it is not available. */
  reason?: string | undefined;
  /** What to do about it. */
  hint?: string | undefined;
}

export interface IsolationDecision {
  applied: AppliedIsolation;
  /** One line for the user when `auto` had to fall back to no isolation. */
  warning?: string | undefined;
}

/** What an unisolated command can reach, named in the fall-back warning. */
export const UNISOLATED_REACH =
  "it can read taskaccess's environment (the base credentials) through /proc, ~/.aws and the session log, and signal taskaccess";

// `--isolation MODE`, checked before anything else happens.
export function parseIsolationMode(value: string): IsolationMode {
  if ((ISOLATION_MODES as readonly string[]).includes(value)) return value as IsolationMode;
  throw new UsageError(
    `--isolation ${JSON.stringify(value)} is not an isolation mode`,
    "use auto (isolate where the kernel allows, the default), namespace (isolate or refuse to run) or none",
  );
}

// auto isolates where it can and otherwise says what the command can reach; namespace fails
// closed before any AWS call; none is the user's explicit choice.
export function decideIsolation(
  requested: IsolationMode,
  support: () => IsolationSupport,
): IsolationDecision {
  if (requested === "none") return { applied: "none" };
  const found = support();
  if (found.available) return { applied: "namespace" };
  if (requested === "namespace") {
    throw new TaskAccessError(`cannot isolate the command: ${found.reason ?? "unknown reason"}`, {
      exitCode: ExitCode.isolation,
      hint: `${found.hint ? `${found.hint}; ` : ""}\`taskaccess doctor\` shows what this machine supports`,
    });
  }
  return {
    applied: "none",
    warning: `running the command without isolation (${found.reason ?? "unavailable"}): ${UNISOLATED_REACH}; \`taskaccess doctor\` says why, --isolation none silences this`,
  };
}
