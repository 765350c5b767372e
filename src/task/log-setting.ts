import { lstat, realpath } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep, win32 } from "node:path";

// A task file is found by walking up from the current directory, so whoever can put one in a
// parent directory (or in a cloned repository) chooses its `log`. Were `log: ~/.bash_profile`
// allowed, a parameter default with backticks would land in the user's login script. So the
// task file's `log` names a file inside the task file's own directory; --log and TASKACCESS_LOG,
// set by the user, may point anywhere.

/** What to do instead, for every `log` problem. */
export const LOG_SETTING_HINT =
  "use a path inside the project such as .taskaccess/sessions.jsonl, or --log PATH or TASKACCESS_LOG for a log elsewhere";

// What is wrong with a `log` value as written, worded to follow "`log` ", or nothing.
export function findLogSettingProblem(log: string): string | undefined {
  const shown = JSON.stringify(log);
  // An S3 log is the user's bucket, not a place on this machine: the path rules do not apply.
  if (log.startsWith("s3://")) {
    return /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(log)
      ? undefined
      : `is not an S3 log location such as s3://BUCKET/PREFIX/ (got ${shown})`;
  }
  if (log.includes("\0")) return `must not contain a NUL character (got ${shown})`;
  if (log.startsWith("~")) {
    return `must be a path inside the task file's directory, not in a home directory (got ${shown}; a task file's ~ is not expanded)`;
  }
  if (isAbsolute(log) || win32.isAbsolute(log) || /^[A-Za-z]:/.test(log)) {
    return `must be a path inside the task file's directory, not an absolute path (got ${shown})`;
  }
  const depth = depthInside(log);
  if (depth === undefined)
    return `must be a path inside the task file's directory; ${shown} leaves it through ".."`;
  if (depth === 0)
    return `must name a file inside the task file's directory, not the directory itself (got ${shown})`;
  return undefined;
}

// A `log` that passes findLogSettingProblem can still leave the directory through a symbolic link
// that came with the project (`logs -> /home/someone`): every part of the path that exists is
// followed, and must stay inside. Worded to follow "`log` ".
export async function findLogLinkProblem(directory: string, log: string): Promise<string | undefined> {
  const root = await realpath(directory);
  let current = directory;
  for (const segment of relative(directory, resolve(directory, log)).split(sep)) {
    current = join(current, segment);
    const stats = await lstat(current).catch(() => undefined);
    if (!stats) return undefined; // this part does not exist yet, so neither does anything under it
    if (!stats.isSymbolicLink()) continue;
    const shown = JSON.stringify(relative(directory, current));
    const target = await realpath(current).catch(() => undefined);
    if (target === undefined) {
      return `must stay inside the task file's directory, but ${shown} is a symbolic link to something that does not exist`;
    }
    if (!isInsideOrSame(root, target)) {
      return `must stay inside the task file's directory, but ${shown} is a symbolic link to ${target}, outside it`;
    }
  }
  return undefined;
}

// How many directories deep the path ends, counting "a/../b" as one; undefined when a ".." climbs
// above the start. Both / and \ separate, so that the answer holds on Windows too.
function depthInside(path: string): number | undefined {
  let depth = 0;
  for (const segment of path.split(/[\\/]+/)) {
    if (segment === "" || segment === ".") continue;
    depth += segment === ".." ? -1 : 1;
    if (depth < 0) return undefined;
  }
  return depth;
}

function isInsideOrSame(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
