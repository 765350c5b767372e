import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FUTURE_SKEW_MS } from "../../src/audit/file-lock.js";
import { isProcessAlive, SessionLogError, withFileLock } from "../../src/audit/index.js";
import { ExitCode } from "../../src/errors.js";

const HOST = "lock-host";
let dir: string;
let target: string;
let lockPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "taskaccess-lock-"));
  target = join(dir, "sessions.jsonl");
  lockPath = `${target}.lock`;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  const pid = Number(child.stdout);
  expect(isProcessAlive(pid)).toBe(false);
  return pid;
}

function writeLock(holder: { pid: number; host: string; time: string }): void {
  writeFileSync(lockPath, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
}

describe("withFileLock", () => {
  it("runs the function under <path>.lock, written with the holder, and removes it after", async () => {
    const clock = { now: () => Date.UTC(2025, 0, 1) };
    const seen = await withFileLock(
      target,
      async () => JSON.parse(await import("node:fs/promises").then((fs) => fs.readFile(lockPath, "utf8"))),
      { host: HOST, clock, pid: 1234 },
    );
    expect(seen).toEqual({ pid: 1234, host: HOST, time: "2025-01-01T00:00:00.000Z" });
    expect(existsSync(lockPath)).toBe(false);
  });

  it("releases the lock when the function throws", async () => {
    await expect(
      withFileLock(target, async () => Promise.reject(new Error("boom")), {
        host: HOST,
        clock: { now: Date.now },
      }),
    ).rejects.toThrow("boom");
    expect(existsSync(lockPath)).toBe(false);
  });

  it("breaks a stale lock left by a dead process on this host, and leaves nothing behind", async () => {
    writeLock({ pid: deadPid(), host: HOST, time: new Date().toISOString() });
    const started = Date.now();
    const result = await withFileLock(target, async () => "ran", {
      host: HOST,
      clock: { now: Date.now },
      timeoutMs: 5_000,
    });
    expect(result).toBe("ran");
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("breaks a lock older than the maximum age, whoever holds it", async () => {
    const now = Date.now();
    writeLock({ pid: process.pid, host: "other-host", time: new Date(now - 61_000).toISOString() });
    expect(await withFileLock(target, async () => "ran", { host: HOST, clock: { now: () => now } })).toBe(
      "ran",
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("breaks a planted lock of a live pid whose time is in 2099, and leaves nothing behind", async () => {
    expect(isProcessAlive(1)).toBe(true);
    writeLock({ pid: 1, host: HOST, time: "2099-01-01T00:00:00.000Z" });
    const started = Date.now();
    const result = await withFileLock(target, async () => "ran", {
      host: HOST,
      clock: { now: Date.now },
      timeoutMs: 5_000,
    });
    expect(result).toBe("ran");
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("breaks a lock whose file time is far in the future when its contents are not a holder", async () => {
    writeFileSync(lockPath, "", { mode: 0o600 });
    const future = new Date(Date.UTC(2099, 0, 1));
    utimesSync(lockPath, future, future);
    expect(await withFileLock(target, async () => "ran", { host: HOST, clock: { now: Date.now } })).toBe(
      "ran",
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("honours a live holder whose time is a little ahead of ours (clock skew)", async () => {
    const now = Date.UTC(2025, 0, 1, 12, 0, 0);
    let fake = now;
    writeLock({ pid: 1, host: HOST, time: new Date(now + FUTURE_SKEW_MS - 5_000).toISOString() });
    await expect(
      withFileLock(target, async () => "ran", {
        host: HOST,
        clock: { now: () => fake },
        timeoutMs: 500,
        sleep: async (ms) => {
          fake += ms;
        },
      }),
    ).rejects.toThrow("held by pid 1 on lock-host");
    expect(existsSync(lockPath)).toBe(true);
  });

  it("times out on a live lock with a message naming the lock file and its holder", async () => {
    const now = Date.UTC(2025, 0, 1, 12, 0, 0);
    let fake = now;
    const time = new Date(now - 2_000).toISOString();
    writeLock({ pid: process.pid, host: HOST, time });
    let ran = false;
    const error = await withFileLock(
      target,
      async () => {
        ran = true;
      },
      {
        host: HOST,
        clock: { now: () => fake },
        timeoutMs: 500,
        sleep: async (ms) => {
          fake += ms;
        },
      },
    ).catch((caught: unknown) => caught);
    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(SessionLogError);
    expect((error as SessionLogError).exitCode).toBe(ExitCode.internal);
    expect((error as SessionLogError).message).toBe(
      `timed out after 0.5 s waiting for the session log lock ${lockPath}, held by pid ${process.pid} on ${HOST} since ${time} (2.5 s ago)`,
    );
    expect((error as SessionLogError).hint).toBe(
      `another taskaccess is writing the log; if none is running, delete ${lockPath}`,
    );
    expect(existsSync(lockPath)).toBe(true);
  });

  it("does not break a fresh lock held on another host, even if that pid is not running here", async () => {
    const pid = deadPid();
    writeLock({ pid, host: "other-host", time: new Date().toISOString() });
    await expect(
      withFileLock(target, async () => "ran", { host: HOST, clock: { now: Date.now }, timeoutMs: 100 }),
    ).rejects.toThrow(`held by pid ${pid} on other-host`);
    expect(existsSync(lockPath)).toBe(true);
  });

  it("lets only one holder in at a time within a process", async () => {
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        withFileLock(
          target,
          async () => {
            inside += 1;
            most = Math.max(most, inside);
            await new Promise((resolve) => setTimeout(resolve, 5));
            order.push(index);
            inside -= 1;
          },
          { host: HOST, clock: { now: Date.now } },
        ),
      ),
    );
    expect(most).toBe(1);
    expect([...order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(existsSync(lockPath)).toBe(false);
  });
});
