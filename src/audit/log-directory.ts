import type { Stats } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { ExitCode } from "../errors.js";
import { SessionLogError } from "./session-log-error.js";

const WORLD_WRITABLE = 0o002;
const STICKY = 0o1000;

// Creates (0700) and checks the log's directory; true when it is shared like /tmp (world-writable
// but sticky), where others cannot replace our file but may have created one first, so the caller
// must check that the log is its own. A world-writable directory without the sticky bit is refused.
export async function prepareLogDirectory(dir: string): Promise<{ shared: boolean }> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new SessionLogError(`cannot create the session log directory ${dir}: ${(error as Error).message}`, {
      path: dir,
      cause: error,
    });
  }
  let stats: Stats;
  try {
    stats = await stat(dir);
  } catch (error) {
    throw new SessionLogError(`cannot read the session log directory ${dir}: ${(error as Error).message}`, {
      path: dir,
      cause: error,
    });
  }
  if (!stats.isDirectory()) {
    throw new SessionLogError(`${dir} is not a directory, so the session log cannot be kept in it`, {
      path: dir,
    });
  }
  if ((stats.mode & WORLD_WRITABLE) === 0) return { shared: false };
  if ((stats.mode & STICKY) !== 0) return { shared: true };
  throw new SessionLogError(
    `the session log directory ${dir} is writable by everyone (mode ${formatMode(stats.mode)}), so anyone could replace the log`,
    {
      path: dir,
      exitCode: ExitCode.usage,
      hint: `keep the log in a directory of your own with --log / TASKACCESS_LOG, or make ${dir} sticky (chmod +t, as /tmp is) or not writable by others (chmod o-w)`,
    },
  );
}

// In a shared directory, a log someone else created first is theirs to edit: refuse it.
export function checkLogOwner(file: string, stats: Stats): void {
  const uid = process.getuid?.();
  if (uid === undefined || stats.uid === uid) return;
  throw new SessionLogError(
    `the session log ${file} belongs to another user (uid ${stats.uid}) in a directory everyone can write to, so it is not yours to trust`,
    { path: file, exitCode: ExitCode.usage, hint: "give a log of your own with --log / TASKACCESS_LOG" },
  );
}

// A mode as chmod prints it, with the special bits (1777 for /tmp).
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}
