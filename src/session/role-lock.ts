import { createHash } from "node:crypto";
import { join } from "node:path";
import { withFileLock } from "../audit/file-lock.js";

export interface RoleLockOptions {
  /** A private directory for the lock files: the session log's. */
  directory: string;
  host: string;
  clock: { now: () => number };
}

/** Revocations wait this long for their turn; 50 at once on AWS take about half a minute. */
const WAIT_MS = 120_000;

// One revocation at a time per role on this machine: runs that end together then take turns at
// the role's 10,240 characters of inline policy instead of filling them at once. Never a reason
// not to revoke: if the lock cannot be had, the revocation goes ahead without it.
export function createRoleLock(options: RoleLockOptions) {
  return async <T>(roleArn: string, fn: () => Promise<T>): Promise<T> => {
    const name = `revoke-${createHash("sha256").update(roleArn).digest("hex").slice(0, 16)}`;
    let started = false;
    try {
      return await withFileLock(
        join(options.directory, name),
        () => {
          started = true;
          return fn();
        },
        { host: options.host, clock: options.clock, timeoutMs: WAIT_MS, staleMs: WAIT_MS },
      );
    } catch (error) {
      if (started) throw error;
      return fn();
    }
  };
}
