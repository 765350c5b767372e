import { createHash } from "node:crypto";
import { join } from "node:path";
import { withFileLock } from "../audit/file-lock.js";

export interface RoleLockOptions {
  /** A private directory for the lock files: the session log's. */
  directory: string;
  host: string;
  clock: { now: () => number };
  /** How long a call waits for its turn when it does not say (default 5 s). */
  waitMs?: number | undefined;
}

/**
 * The wait of a call that does not say. The revoker always says: 0 (clean-up and arming only take
 * a free lock) or, when a session found the role full, FULL_ROLE_WAIT_MS (src/aws/revoker-context.ts).
 */
const WAIT_MS = 5_000;
/**
 * A compaction takes a second or two; a lock held this long, even by a live process, is broken.
 * This bounds what a lock file planted with a fresh time can cost a run whose role is full.
 */
export const ROLE_LOCK_STALE_MS = 10_000;

// The lock file of one role's compactions: a name from the role ARN's hash, in `directory`.
export function roleLockPath(directory: string, roleArn: string): string {
  return join(directory, `revoke-${createHash("sha256").update(roleArn).digest("hex").slice(0, 16)}`);
}

// One compaction at a time per role on this machine: runs that end together take turns folding
// the role's inline policies instead of all rewriting them at once. Never around a session's own
// deny, which is put first. Rejects without running fn when the lock cannot be had within the
// wait (`call.waitMs`, 0: only if it is free now); the revoker then skips compaction, or (when
// the role is full) compacts without the lock, which is safe, only less orderly.
export function createRoleLock(options: RoleLockOptions) {
  return async <T>(roleArn: string, fn: () => Promise<T>, call?: { waitMs?: number }): Promise<T> =>
    withFileLock(roleLockPath(options.directory, roleArn), fn, {
      host: options.host,
      clock: options.clock,
      timeoutMs: call?.waitMs ?? options.waitMs ?? WAIT_MS,
      staleMs: ROLE_LOCK_STALE_MS,
    });
}
