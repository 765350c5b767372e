// Vitest global set-up (vitest.config.ts), run once before any test file:
//
// 1. The end-to-end and CLI tests run bin/taskaccess, which runs dist/bundle/, not src/. A bundle
//    that is missing or older than anything it is built from is rebuilt with `npm run build`, so a
//    test cannot pass or fail on yesterday's code. The check compares modification times only
//    (cheap, and safe while src/ is being edited): after `npm test`'s pretest build it does nothing.
//    A failed build stops the run. TASKACCESS_TEST_SKIP_BUILD=1 skips the check (with a warning),
//    for running tests that do not need the bundle while src/ does not compile.
// 2. TMPDIR points into one fresh directory for the whole run (test processes inherit it), removed
//    at the end, so the directories the tests make with mkdtemp(tmpdir()) are not left behind.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, type Stats, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
/** What bin/taskaccess loads; the older of the two is the bundle's age. */
const BUNDLE_ENTRIES = ["dist/bundle/main.js", "dist/bundle/context.js"];
/** What the bundle is built from: a change to any of these makes it stale. */
const BUILD_INPUTS = ["src", "scripts/bundle", "tsconfig.json", "tsconfig.build.json", "package-lock.json"];
/** Where concurrent test runs in this work tree take turns to build (node_modules always exists here). */
const LOCK = join(ROOT, "node_modules", ".taskaccess-build-lock");
const LOCK_WAIT_MS = 5 * 60_000;

export default function setup(): () => void {
  if (process.env.TASKACCESS_TEST_SKIP_BUILD === "1") {
    process.stderr.write(
      "global-setup: TASKACCESS_TEST_SKIP_BUILD=1: dist/bundle is not checked; tests of bin/taskaccess may run old code\n",
    );
  } else {
    ensureFreshBundle();
  }
  return useOwnTmpdir();
}

function ensureFreshBundle(): void {
  if (staleness() === undefined) return;
  withBuildLock(() => {
    // Another run may have built while this one waited for the lock.
    const why = staleness();
    if (why === undefined) return;
    process.stderr.write(`global-setup: ${why}: rebuilding (npm run build)\n`);
    const started = new Date();
    const build = spawnSync("npm", ["run", "build"], { cwd: ROOT, encoding: "utf8", timeout: LOCK_WAIT_MS });
    if (build.status !== 0) {
      throw new Error(
        `global-setup: ${why}, and \`npm run build\` failed (${build.error?.message ?? `exit ${build.status}`}), ` +
          "so tests of bin/taskaccess would run old code; fix the build, or set TASKACCESS_TEST_SKIP_BUILD=1 " +
          `to run tests that do not need it.\n${build.stdout}${build.stderr}`,
      );
    }
    // The bundle is as new as the sources the build started from: a file saved during the build is
    // newer than that, so the next run builds again.
    for (const entry of BUNDLE_ENTRIES) utimesSync(join(ROOT, entry), started, started);
  });
}

// Why the bundle must be rebuilt, or undefined when it is at least as new as every input.
function staleness(): string | undefined {
  let bundleTime = Number.POSITIVE_INFINITY;
  for (const entry of BUNDLE_ENTRIES) {
    const stats = statOrUndefined(join(ROOT, entry));
    if (!stats) return `${entry} is missing`;
    bundleTime = Math.min(bundleTime, stats.mtimeMs);
  }
  const newest = newestInput();
  if (newest && newest.mtimeMs > bundleTime) return `${newest.path} is newer than dist/bundle`;
  return undefined;
}

// The most recently modified file or directory among the inputs (a directory's time covers a
// deleted or renamed file). Entries that vanish while being read (an edit in progress) are skipped.
function newestInput(): { path: string; mtimeMs: number } | undefined {
  let newest: { path: string; mtimeMs: number } | undefined;
  const visit = (relative: string) => {
    const stats = statOrUndefined(join(ROOT, relative));
    if (!stats) return;
    if (!newest || stats.mtimeMs > newest.mtimeMs) newest = { path: relative, mtimeMs: stats.mtimeMs };
    if (!stats.isDirectory()) return;
    let names: string[];
    try {
      names = readdirSync(join(ROOT, relative));
    } catch {
      return;
    }
    for (const name of names) visit(join(relative, name));
  };
  for (const input of BUILD_INPUTS) visit(input);
  return newest;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

// Runs fn holding a lock directory, so that two test runs started together do not build over each
// other (the bundle step deletes dist/bundle first). A lock older than the wait is a dead run's.
function withBuildLock(fn: () => void): void {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const lock = statOrUndefined(LOCK);
      if (lock && Date.now() - lock.mtimeMs > LOCK_WAIT_MS) {
        rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - started > LOCK_WAIT_MS) {
        throw new Error(`global-setup: another test run has been building for too long (${LOCK})`);
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

// Points TMPDIR (what os.tmpdir() reads, in the test processes started after this) at a fresh
// directory, and returns the teardown that removes it and puts TMPDIR back.
function useOwnTmpdir(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), "taskaccess-vitest-"));
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      process.stderr.write(`global-setup: could not remove ${dir}: ${(error as Error).message}\n`);
    }
  };
}
