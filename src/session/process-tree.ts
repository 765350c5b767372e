import { readdirSync, readFileSync } from "node:fs";

// Every descendant of a process (children, grandchildren, …), read from /proc on Linux. Used on
// timeout: the command's own children would otherwise outlive it holding the task's credentials.
// Where /proc does not exist the answer is empty, and only the command itself is stopped.
export function listDescendants(root: number): number[] {
  const children = readChildren();
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

// The direct children of a process: for an isolated command, bubblewrap's init in the namespace.
export function listChildren(parent: number): number[] {
  return readChildren().get(parent) ?? [];
}

// Every process's children, from each /proc/PID/stat's parent pid; empty where there is no /proc.
function readChildren(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return children;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  return children;
}

// Sends a signal to each process that still exists; a process gone meanwhile is not an error.
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

// True while a process exists and is not a zombie (an exited process nobody has reaped yet: in a
// container without an init, orphans stay zombies for good).
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

// When a process started (clock ticks since boot, /proc/PID/stat field 22): with the pid, it names
// one process for good, so a pid that was reused since is never signalled by mistake.
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}
