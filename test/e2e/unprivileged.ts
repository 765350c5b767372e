// Runs the end-to-end attacks as an unprivileged user as well as the current one: as root, a
// system user `taskaccess-e2e` is made (once) and taskaccess is started through setpriv with its
// uid and gid; not as root, the current user already is the unprivileged case.
import { execFileSync, spawn } from "node:child_process";
import { accessSync, chmodSync, chownSync, constants, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { BIN, collectOutput, type E2eProject, REPO_ROOT, type RunInput, type RunningRun } from "./helpers.js";

export interface RunAs {
  label: string;
  /** Set for the unprivileged user made here; undefined runs as the test process itself. */
  user?: { name: string; uid: number; gid: number } | undefined;
}

const USER = "taskaccess-e2e";

// The identities every attack runs as: root and an unprivileged user, or the one unprivileged user.
export function runAsVariants(): RunAs[] {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return [{ label: `as uid ${uid} (unprivileged)` }];
  const user = ensureUser();
  return [{ label: "as root" }, { label: `as ${USER} (uid ${user.uid}, unprivileged)`, user }];
}

function ensureUser(): { name: string; uid: number; gid: number } {
  try {
    execFileSync("id", ["-u", USER], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], {
      stdio: "ignore",
    });
  }
  const uid = Number(execFileSync("id", ["-u", USER], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", USER], { encoding: "utf8" }).trim());
  granted.push(...grantTraversal(REPO_ROOT));
  return { name: USER, uid, gid };
}

const granted: Array<{ dir: string; mode: number }> = [];

// Puts back the modes grantTraversal changed (afterAll of the file that made the variants).
export function restoreTraversal(): void {
  for (const { dir, mode } of granted.splice(0).reverse()) {
    try {
      chmodSync(dir, mode);
    } catch {
      // removed with its project
    }
  }
}

// The user must reach bin/taskaccess, dist/, node_modules/ and its project: under a private
// directory (/root, the test run's TMPDIR) they are not reachable, so each ancestor gets o+x, the
// least that lets it pass (not read); restoreTraversal puts the modes back.
function grantTraversal(path: string): Array<{ dir: string; mode: number }> {
  const changed: Array<{ dir: string; mode: number }> = [];
  for (let dir = path; dir !== dirname(dir); dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) !== 0) continue;
    chmodSync(dir, mode | 0o001);
    changed.push({ dir, mode });
  }
  return changed;
}

// Hands the project directory (HOME, the task file, the log) to the user who runs taskaccess, and
// lets it through the directories above (the test run's private TMPDIR among them).
export function handOver(project: E2eProject, as: RunAs): void {
  if (!as.user) return;
  granted.push(...grantTraversal(dirname(project.dir)));
  const { uid, gid } = as.user;
  const walk = (path: string) => {
    chownSync(path, uid, gid);
    if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(project.dir);
}

// Starts bin/taskaccess as the variant's user, with the project's environment and working directory.
export function startAs(
  project: E2eProject,
  as: RunAs,
  input: RunInput,
  options: { detached?: boolean; wrapper?: string[]; argv?: string[] } = {},
): RunningRun {
  const node = [process.execPath, BIN, ...(options.argv ?? project.argv(input))];
  const user = as.user
    ? ["setpriv", `--reuid=${as.user.uid}`, `--regid=${as.user.gid}`, "--clear-groups", "--"]
    : [];
  const [file, ...args] = [...user, ...(options.wrapper ?? []), ...node];
  const child = spawn(file as string, args, {
    cwd: project.dir,
    env: project.env(input.env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  const output = collectOutput(child);
  return { child, done: output.done, stderr: output.stderr };
}

// Fails loudly (rather than skipping) when the user cannot run taskaccess at all.
export function assertUserCanRun(as: RunAs): void {
  if (!as.user) return;
  for (const path of [BIN, join(REPO_ROOT, "dist/bundle/main.js")]) {
    execFileSync("setpriv", [
      `--reuid=${as.user.uid}`,
      `--regid=${as.user.gid}`,
      "--clear-groups",
      "--",
      process.execPath,
      "-e",
      `require("node:fs").accessSync(${JSON.stringify(path)}, ${constants.R_OK})`,
    ]);
  }
  accessSync(BIN);
}
