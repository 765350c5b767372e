// What revoking and arming share: the IAM client for one role, the clock, the backoff, and the
// rule that compaction, never a session's own deny, takes the role's lock.

import type { Clock } from "../session/ports.js";
import {
  type CompactionReport,
  type CompactOptions,
  compactRevokePolicies,
} from "./compact-revoke-policies.js";
import { REVOCATION_ACTIONS, type RevocationVia } from "./revocation-path.js";
import type { TidyContext } from "./role-policies.js";

type IamModule = typeof import("@aws-sdk/client-iam");
type IamClient = import("@aws-sdk/client-iam").IAMClient;

/**
 * Runs fn holding a lock for the role, or rejects without running it when the lock cannot be had
 * within its wait (src/session/role-lock.ts; `waitMs: 0` only tries once): it orders compactions
 * between runs on one machine.
 */
export type Serialize = <T>(
  roleArn: string,
  fn: () => Promise<T>,
  options?: { waitMs?: number },
) => Promise<T>;

/** When the lock is busy: wait up to waitMs (undefined: the lock's own wait), then skip or go without it. */
export interface LockUse {
  ifBusy: "run" | "skip";
  waitMs: number | undefined;
}

export interface RevokerContext {
  iam: IamModule;
  client: IamClient;
  roleArn: string;
  roleName: string;
  clock: Clock;
  random: () => number;
  backoffMs: number;
  serialize: Serialize | undefined;
  /** Who writes the denies on this role (src/aws/revocation-path.ts). */
  via: RevocationVia;
  /** The role assumed to write the denies (a revoker role, or the task role); none for caller. */
  revokerRoleArn?: string | undefined;
  /** What an AccessDenied from IAM most likely means on this path, and what fixes it. */
  permissionsHint: string;
}

/** From this attempt on, a session that found the role full compacts even if the lock is busy. */
export const LOCK_FREE_FROM_ATTEMPT = 2;
/**
 * How long a session that found the role full waits, once, for the compactions under way: runs
 * that end together then take turns, and the first to get the lock folds the others' policies
 * (those that go ahead without the lock tend to write many small shards, which fill the role).
 * A lock older than ROLE_LOCK_STALE_MS (src/session/role-lock.ts) is broken meanwhile, so a lock
 * file planted with a fresh time costs at most that; only one re-planted over and over costs this.
 */
export const FULL_ROLE_WAIT_MS = 30_000;

// The context compaction works in, with the time read now.
export function tidyContext(rc: RevokerContext): TidyContext {
  return { iam: rc.iam, client: rc.client, roleName: rc.roleName, now: rc.clock.now(), random: rc.random };
}

// Full jitter on an exponential base: attempt 1 waits up to backoffMs, attempt 2 twice that, …
export function backoffDelay(rc: RevokerContext, attempt: number): number {
  return Math.floor(rc.random() * rc.backoffMs * 2 ** (attempt - 1));
}

export type Guarded = { ran: true; report: CompactionReport } | { ran: false; why: string };

// Compacts under the role's lock. When the lock is busy, `use.ifBusy` says whether to go ahead
// without it (compaction is safe without the lock; the lock only spares the role many at once) or
// to skip.
export async function compactUnderLock(
  rc: RevokerContext,
  sessionName: string,
  options: CompactOptions,
  use: LockUse,
): Promise<Guarded> {
  const compact = () => compactRevokePolicies(tidyContext(rc), sessionName, options);
  if (!rc.serialize) return { ran: true, report: await compact() };
  let started = false;
  const locked = () => {
    started = true;
    return compact();
  };
  try {
    const report = await (use.waitMs === undefined
      ? rc.serialize(rc.roleArn, locked)
      : rc.serialize(rc.roleArn, locked, { waitMs: use.waitMs }));
    return { ran: true, report };
  } catch (error) {
    if (started) throw error;
    if (use.ifBusy === "run") return { ran: true, report: await compact() };
    return { ran: false, why: error instanceof Error ? error.message : String(error) };
  }
}

// For a session that found the role full: the first attempt waits its turn at the lock (see
// FULL_ROLE_WAIT_MS); from the next attempt on the session compacts without the lock, so a lock
// that someone sits on never keeps its deny off for long.
export function fullRoleLockUse(attempt: number): LockUse {
  return attempt >= LOCK_FREE_FROM_ATTEMPT
    ? { ifBusy: "run", waitMs: 0 }
    : { ifBusy: "skip", waitMs: FULL_ROLE_WAIT_MS };
}

// For an arm that found the role full: never wait for the lock (a revoke may be waiting for the
// arm), compact under it if it is free, and from the second attempt on without it.
export function armLockUse(attempt: number): LockUse {
  return { ifBusy: attempt >= LOCK_FREE_FROM_ATTEMPT ? "run" : "skip", waitMs: 0 };
}

/**
 * Clean-up after a deny is in place: only if the lock is free right now. A busy lock means another
 * run is compacting, which is all the clean-up needed; runs that found the role full and need a
 * compaction to place their own deny then have the lock to themselves.
 */
export const TIDY_LOCK_USE: LockUse = { ifBusy: "skip", waitMs: 0 };

// The aws:userid of the session: given, or RoleId:RoleSessionName with the role id looked up.
export async function assumedRoleIdOf(
  rc: RevokerContext,
  input: { assumedRoleId?: string | undefined; sessionName: string },
): Promise<string> {
  if (input.assumedRoleId) return input.assumedRoleId;
  const role = await rc.client.send(new rc.iam.GetRoleCommand({ RoleName: rc.roleName }));
  return `${role.Role?.RoleId ?? ""}:${input.sessionName}`;
}

// Throttling, 5xx and dropped connections are worth another attempt; a refusal is not.
export function isRetryable(error: unknown): boolean {
  const e = error as {
    name?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    code?: string;
  };
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    e.$retryable !== undefined ||
    status >= 500 ||
    status === 429 ||
    [
      "Throttling",
      "ThrottlingException",
      "ServiceFailure",
      "ServiceFailureException",
      "TimeoutError",
    ].includes(e.name ?? "") ||
    ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"].includes(e.code ?? "")
  );
}

// What an AccessDenied from IAM during revocation most likely means, and what fixes it, by path.
export function permissionsHintFor(via: RevocationVia, roleArn: string, revokerArn?: string): string {
  const actions = REVOCATION_ACTIONS.join(", ");
  if (via === "caller") return `the base identity needs ${actions} on ${roleArn}`;
  const who = via === "revoker-role" ? `the revoker role ${revokerArn ?? ""}` : `the role ${roleArn} itself`;
  return `${who} needs ${actions} on ${roleArn} in its identity policy (docs/security-model.md, "Roles in other accounts")`;
}
