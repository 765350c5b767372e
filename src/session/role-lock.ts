import { createHash } from "node:crypto";
import { join } from "node:path";
import { withFileLock } from "../audit/file-lock.js";

export interface RoleLockOptions {
  /** A private directory for the lock files: the session log's. */
  directory: string;
  host: string;
  clock: { now: () => number };
  /** How long a compaction waits for its turn before it is skipped (default 2 s). */
  waitMs?: number | undefined;
}

/**
 * A compaction waits this long for its turn, then is skipped or done without the lock: it is never
 * on a revocation's path (the session's own deny is put first), so a lock held by anyone else,
 * hostile or stuck, costs a run at most this long, never a delayed revocation.
 */
const WAIT_MS = 5_000;
/** A compaction takes seconds; a lock held this long by a live process is broken all the same. */
const STALE_MS = 15_000;

// The lock file of one role's compactions: a name from the role ARN's hash, in `directory`.
export function roleLockPath(directory: string, roleArn: string): string {
  return join(directory, `revoke-${createHash("sha256").update(roleArn).digest("hex").slice(0, 16)}`);
}

// One compaction at a time per role on this machine: runs that end together take turns folding
// the role's inline policies instead of all rewriting them at once. Rejects without running fn
// when the lock cannot be had within the wait; the revoker then skips compaction, or (when the
// role is full) compacts without the lock, which is safe, only less orderly.
// `call.waitMs` overrides the wait for one call (0: take the lock only if it is free now).
export function createRoleLock(options: RoleLockOptions) {
  return async <T>(roleArn: string, fn: () => Promise<T>, call?: { waitMs?: number }): Promise<T> =>
    withFileLock(roleLockPath(options.directory, roleArn), fn, {
      host: options.host,
      clock: options.clock,
      timeoutMs: call?.waitMs ?? options.waitMs ?? WAIT_MS,
      staleMs: STALE_MS,
    });
}
