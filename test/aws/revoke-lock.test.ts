// A run's own deny never waits on the role's lock: a lock file planted by a hostile command (a live
// pid with a time in 2099, or a fresh one) neither delays the deny nor, with a time in the future,
// the whole revoke(). The lock only orders compaction, which it may skip.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isProcessAlive, lockPathFor } from "../../src/audit/file-lock.js";
import { FULL_ROLE_WAIT_MS } from "../../src/aws/revoker-context.js";
import { RESERVE_NAME } from "../../src/aws/role-reserve.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import { createRoleLock, ROLE_LOCK_STALE_MS, roleLockPath } from "../../src/session/role-lock.js";
import { ADMIN, DEPLOYER, iamClient, startTestSandbox, worldWithAdmin } from "../helpers/sandbox.js";
import {
  inlinePolicyCharacters,
  isDenied,
  ROLE_INLINE_LIMIT,
  revokeInput,
  rolePolicies,
  sandboxRevoker,
  sessionId,
  startSession,
} from "./role-fixture.js";

/** What the lock made a revocation wait before this change. */
const OLD_WAIT_MS = 120_000;
/** Far under that: the test's bound on a revocation that must not wait for the lock. */
const BOUND_MS = 5_000;

let sandbox: RunningSandbox;
let lockDir: string;
let planted: string;

beforeEach(async () => {
  sandbox = await startTestSandbox({ world: worldWithAdmin() });
  lockDir = mkdtempSync(join(tmpdir(), "taskaccess-role-lock-"));
  planted = lockPathFor(roleLockPath(lockDir, DEPLOYER));
});

afterEach(async () => {
  await sandbox.close();
});

function plant(holder: { pid: number; time: string }): void {
  writeFileSync(planted, `${JSON.stringify({ ...holder, host: hostname() })}\n`, { mode: 0o600 });
}

function lockedRevoker() {
  return sandboxRevoker(sandbox, {
    serialize: createRoleLock({ directory: lockDir, host: hostname(), clock: { now: Date.now } }),
  });
}

describe("the role lock and revocation", () => {
  it("a planted lock of a live pid with a time in 2099 does not delay revoke()", async () => {
    expect(isProcessAlive(1)).toBe(true);
    plant({ pid: 1, time: "2099-01-01T00:00:00.000Z" });
    const session = await startSession(sandbox, sessionId(1));
    const started = Date.now();
    await lockedRevoker().revoke(revokeInput(session));
    const took = Date.now() - started;
    expect(took).toBeLessThan(BOUND_MS);
    expect(BOUND_MS).toBeLessThan(OLD_WAIT_MS);
    expect(await isDenied(sandbox, session)).toBe(true);
    // The stale lock was broken rather than waited out.
    expect(existsSync(planted) ? readFileSync(planted, "utf8") : "").not.toContain("2099");
  });

  it("a planted lock of a dead pid does not delay revoke()", async () => {
    const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
      encoding: "utf8",
    });
    const pid = Number(child.stdout);
    expect(isProcessAlive(pid)).toBe(false);
    plant({ pid, time: new Date().toISOString() });
    const session = await startSession(sandbox, sessionId(2));
    const started = Date.now();
    await lockedRevoker().revoke(revokeInput(session));
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect(await isDenied(sandbox, session)).toBe(true);
  });

  it("a fresh lock of a live pid (a genuine-looking holder) delays neither the deny nor revoke()", async () => {
    plant({ pid: 1, time: new Date().toISOString() });
    const session = await startSession(sandbox, sessionId(3));
    const started = Date.now();
    const result = await lockedRevoker().revoke(revokeInput(session));
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect(await isDenied(sandbox, session)).toBe(true);
    // The holder was honoured, not broken (nor waited out): compaction was left to it.
    expect(result.note).toContain("the role's lock is busy");
    expect(readFileSync(planted, "utf8")).toContain('"pid":1');
  });

  it("a held lock delays a deny on a full role only until it goes stale, never keeps it off", async () => {
    const revoker = lockedRevoker();
    // Enough ended sessions for a compaction, which also puts the role's reserve in place.
    for (let i = 0; i < 6; i++)
      await revoker.revoke(revokeInput(await startSession(sandbox, sessionId(10 + i))));
    expect([...(await rolePolicies(sandbox)).keys()]).toContain(RESERVE_NAME);
    // Fill the role to 100 characters short of its limit with a policy that is not taskaccess's.
    const used = await inlinePolicyCharacters(sandbox);
    await iamClient(sandbox, ADMIN).send(
      new PutRolePolicyCommand({
        RoleName: "deployer",
        PolicyName: "filler",
        PolicyDocument: filler(ROLE_INLINE_LIMIT - used - 100),
      }),
    );
    // A live holder that took the lock a little before it goes stale.
    plant({ pid: 1, time: new Date(Date.now() - ROLE_LOCK_STALE_MS + 2_000).toISOString() });
    const session = await startSession(sandbox, sessionId(20));
    const started = Date.now();
    const result = await revoker.revoke(revokeInput(session));
    expect(Date.now() - started).toBeLessThan(FULL_ROLE_WAIT_MS);
    expect(await isDenied(sandbox, session)).toBe(true);
    expect(result.note).toContain("role inline-policy space full");
    // Nothing fitted until the role's reserve was given up for the shard that holds this session.
    expect(result.note).toContain("gave up its reserve");
    expect(await inlinePolicyCharacters(sandbox)).toBeLessThanOrEqual(ROLE_INLINE_LIMIT);
  }, 60_000);

  it("arm() on a full role makes room by compaction, without waiting on a held lock", async () => {
    const revoker = lockedRevoker();
    for (let i = 0; i < 5; i++)
      await revoker.revoke(revokeInput(await startSession(sandbox, sessionId(30 + i))));
    expect([...(await rolePolicies(sandbox)).keys()]).toContain(RESERVE_NAME);
    const used = await inlinePolicyCharacters(sandbox);
    await iamClient(sandbox, ADMIN).send(
      new PutRolePolicyCommand({
        RoleName: "deployer",
        PolicyName: "filler",
        PolicyDocument: filler(ROLE_INLINE_LIMIT - used - 100),
      }),
    );
    plant({ pid: 1, time: new Date().toISOString() });
    const session = await startSession(sandbox, sessionId(40));
    const deadline = sandbox.clock.now() + 60_000;
    const started = Date.now();
    const armed = await revoker.arm({ ...revokeInput(session), activateAt: new Date(deadline) });
    // Waiting would have lasted until the planted lock went stale and was broken.
    expect(Date.now() - started).toBeLessThan(ROLE_LOCK_STALE_MS);
    expect(readFileSync(planted, "utf8")).toContain('"pid":1');
    expect([...(await rolePolicies(sandbox)).keys()]).toContain(armed.policyName);
    expect(await isDenied(sandbox, session)).toBe(false);
    sandbox.clock.advance(deadline - sandbox.clock.now() + 2_000);
    expect(await isDenied(sandbox, session)).toBe(true);
  });

  it("arm() does not wait on a held lock either", async () => {
    plant({ pid: 1, time: new Date().toISOString() });
    const session = await startSession(sandbox, sessionId(4));
    const started = Date.now();
    await lockedRevoker().arm({
      ...revokeInput(session),
      activateAt: new Date(sandbox.clock.now() + 60_000),
    });
    // Waiting would have lasted until the planted lock went stale and was broken.
    expect(Date.now() - started).toBeLessThan(ROLE_LOCK_STALE_MS);
    expect(readFileSync(planted, "utf8")).toContain('"pid":1');
  });
});

// An Allow of one object action on one made-up bucket, padded to `size` characters.
function filler(size: number): string {
  const base = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::filler/" }],
  }).length;
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::filler/${"x".repeat(size - base)}` },
    ],
  });
}
