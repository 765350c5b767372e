import { randomBytes } from "node:crypto";
import { link, lstat, open, readFile, rename, unlink } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import { SessionLogError } from "./session-log-error.js";

export interface FileLockOptions {
  /** This machine's name, written into the lock and compared with a holder's. */
  host: string;
  clock: { now: () => number };
  /** Give up waiting after this long (default 10 s). */
  timeoutMs?: number | undefined;
  /** A lock older than this is abandoned whoever holds it (default 60 s; a holder needs milliseconds). */
  staleMs?: number | undefined;
  /** The pid written into the lock (default: this process). */
  pid?: number | undefined;
  /** Whether a pid on this host is running (default: process.kill(pid, 0)). */
  isAlive?: ((pid: number) => boolean) | undefined;
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** A number in [0, 1) for the jitter (default Math.random). */
  random?: (() => number) | undefined;
}

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO 8601, when the lock was taken. */
  time: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_STALE_MS = 60_000;
const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 100;
const MAX_IMMEDIATE_RETRIES = 10;
/**
 * A lock may say it was taken this far in the future (clock skew between machines sharing the file
 * system, or a clock stepped back) and still be honoured; any further ahead and it is stale.
 */
export const FUTURE_SKEW_MS = 30_000;

// The lock sits next to the file it guards: same file system (O_EXCL is atomic there), same 0700 directory.
export function lockPathFor(path: string): string {
  return `${path}.lock`;
}

// Appends from several taskaccess processes on one machine must not interleave or fork the chain:
// runs fn while holding `<path>.lock`, created with O_EXCL, and releases it however fn ends.
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: FileLockOptions,
): Promise<T> {
  const lockPath = lockPathFor(path);
  const ino = await acquire(lockPath, options);
  try {
    return await fn();
  } finally {
    await release(lockPath, ino);
  }
}

// Takes the lock, waiting with bounded, jittered backoff and breaking a stale one; returns its inode.
async function acquire(lockPath: string, options: FileLockOptions): Promise<number> {
  const { clock } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const random = options.random ?? Math.random;
  const deadline = clock.now() + timeoutMs;
  let backoff = FIRST_BACKOFF_MS;
  let immediate = 0;
  for (;;) {
    const ino = await tryCreate(lockPath, options);
    if (ino !== undefined) return ino;
    const seen = await inspect(lockPath);
    // Gone already, or stale and now broken: try again at once (a bounded number of times in a row).
    if (immediate < MAX_IMMEDIATE_RETRIES && (seen === undefined || isStale(seen, options))) {
      if (seen !== undefined) await breakStale(lockPath, seen.ino);
      immediate += 1;
      continue;
    }
    immediate = 0;
    const remaining = deadline - clock.now();
    if (remaining <= 0) throw timedOut(lockPath, seen, timeoutMs, clock.now());
    await sleep(Math.min(remaining, backoff * (0.5 + random() / 2)));
    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
  }
}

// One O_EXCL attempt: the inode of our new lock, or undefined when someone else holds it.
async function tryCreate(lockPath: string, options: FileLockOptions): Promise<number | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(lockPath, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw new SessionLogError(`cannot create the session log lock ${lockPath}: ${(error as Error).message}`, {
      path: lockPath,
      cause: error,
    });
  }
  try {
    const holder: LockHolder = {
      pid: options.pid ?? process.pid,
      host: options.host,
      time: new Date(options.clock.now()).toISOString(),
    };
    await handle.writeFile(`${JSON.stringify(holder)}\n`);
    return (await handle.stat()).ino;
  } catch (error) {
    await unlink(lockPath).catch(() => {});
    throw new SessionLogError(`cannot write the session log lock ${lockPath}: ${(error as Error).message}`, {
      path: lockPath,
      cause: error,
    });
  } finally {
    await handle.close().catch(() => {});
  }
}

interface SeenLock {
  ino: number;
  /** Undefined while the holder is still writing it, or if it is not ours. */
  holder: LockHolder | undefined;
  mtimeMs: number;
}

async function inspect(lockPath: string): Promise<SeenLock | undefined> {
  try {
    const stats = await lstat(lockPath);
    const text = await readFile(lockPath, "utf8");
    return { ino: stats.ino, holder: parseHolder(text), mtimeMs: stats.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SessionLogError(`cannot read the session log lock ${lockPath}: ${(error as Error).message}`, {
      path: lockPath,
      cause: error,
    });
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder> | null;
    if (
      value !== null &&
      typeof value === "object" &&
      Number.isSafeInteger(value.pid) &&
      typeof value.host === "string" &&
      typeof value.time === "string"
    ) {
      return value as LockHolder;
    }
  } catch {}
  return undefined;
}

// Stale: the holder was a process on this machine that no longer exists; or the lock is older than
// staleMs (a holder on another machine sharing the file system, or a lock left half-written); or
// it claims to have been taken in the future, beyond clock skew, which no genuine holder writes
// (a planted lock with a far-future time would otherwise never grow old).
function isStale(seen: SeenLock, options: FileLockOptions): boolean {
  const { holder } = seen;
  if (holder && holder.host === options.host && !(options.isAlive ?? isProcessAlive)(holder.pid)) return true;
  const takenAt = holder ? Date.parse(holder.time) : Number.NaN;
  const age = options.clock.now() - (Number.isFinite(takenAt) ? takenAt : seen.mtimeMs);
  return age > (options.staleMs ?? DEFAULT_STALE_MS) || age < -FUTURE_SKEW_MS;
}

// process.kill(pid, 0) sends nothing; it fails with ESRCH when there is no such process
// (EPERM means it exists but belongs to someone else).
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

// Two processes may find the same stale lock. Each renames it to a name of its own first: only one
// rename can move that inode, and a breaker that moved a different (fresh) lock puts it back.
async function breakStale(lockPath: string, staleIno: number): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(6).toString("hex")}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // another breaker won
    throw new SessionLogError(
      `cannot remove the stale session log lock ${lockPath}: ${(error as Error).message}`,
      {
        path: lockPath,
        hint: `delete ${lockPath} if no taskaccess is running`,
        cause: error,
      },
    );
  }
  const moved = await lstat(aside).catch(() => undefined);
  if (moved !== undefined && moved.ino !== staleIno) {
    // We took a lock created after our look: give it back unless a newer one already exists.
    await link(aside, lockPath).catch(() => {});
  }
  await unlink(aside).catch(() => {});
}

// Unlinks the lock only if it is still ours: if it was broken as stale, it now belongs to another.
async function release(lockPath: string, ino: number): Promise<void> {
  const current = await lstat(lockPath).catch(() => undefined);
  if (current?.ino === ino) await unlink(lockPath).catch(() => {});
}

function timedOut(
  lockPath: string,
  seen: SeenLock | undefined,
  timeoutMs: number,
  now: number,
): SessionLogError {
  const holder = seen?.holder;
  const who = holder
    ? `pid ${holder.pid} on ${holder.host} since ${holder.time} (${formatSeconds(now - Date.parse(holder.time))} ago)`
    : "a process that could not be identified (the lock file is empty or not written by taskaccess)";
  return new SessionLogError(
    `timed out after ${formatSeconds(timeoutMs)} waiting for the session log lock ${lockPath}, held by ${who}`,
    {
      path: lockPath,
      hint: `another taskaccess is writing the log; if none is running, delete ${lockPath}`,
    },
  );
}

function formatSeconds(ms: number): string {
  return `${Number.isFinite(ms) ? (ms / 1000).toFixed(1) : "?"} s`;
}
