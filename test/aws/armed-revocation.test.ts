// Pre-armed revocation against the sandbox over HTTP with the real SDK: the armed deny holds
// from the deadline on (the sandbox evaluates DateGreaterThan on aws:CurrentTime with its own,
// movable clock), revoke() makes it unconditional at once, and a refresh session's deny survives
// compaction.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseArmedDocument } from "../../src/aws/armed-policy.js";
import { ARMED_PREFIX, compactedSessionIds, REVOKE_PREFIX } from "../../src/aws/revoke-policy.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import { startTestSandbox, worldWithAdmin } from "../helpers/sandbox.js";
import {
  isDenied,
  revokeInput,
  rolePolicies,
  sandboxRevoker,
  sessionId,
  startSession,
} from "./role-fixture.js";

const MINUTE = 60_000;
let sandbox: RunningSandbox;

beforeEach(async () => {
  sandbox = await startTestSandbox({ world: worldWithAdmin() });
});

afterEach(async () => {
  await sandbox.close();
});

describe("arm", () => {
  it("keeps an armed session working until its deadline and denies it once the sandbox clock passes it", async () => {
    const revoker = sandboxRevoker(sandbox);
    const session = await startSession(sandbox, sessionId(1));
    const deadline = sandbox.clock.now() + 10 * MINUTE;
    const result = await revoker.arm({ ...revokeInput(session), activateAt: new Date(deadline) });

    const document = (await rolePolicies(sandbox)).get(result.policyName);
    expect(result.policyName.startsWith(ARMED_PREFIX)).toBe(true);
    expect(parseArmedDocument(document ?? "")).toEqual({
      activateAt: Math.ceil(deadline / 1000) * 1000,
      sessionIds: [],
      userId: session.output.AssumedRoleUser?.AssumedRoleId,
    });
    expect(await isDenied(sandbox, session)).toBe(false);
    sandbox.clock.advance(deadline - sandbox.clock.now() - 5_000);
    expect(await isDenied(sandbox, session)).toBe(false);
    sandbox.clock.advance(7_000);
    expect(await isDenied(sandbox, session)).toBe(true);
  });

  it("does not touch another session of the same role", async () => {
    const revoker = sandboxRevoker(sandbox);
    const armed = await startSession(sandbox, sessionId(2));
    const other = await startSession(sandbox, sessionId(3));
    await revoker.arm({ ...revokeInput(armed), activateAt: new Date(sandbox.clock.now() + MINUTE) });
    sandbox.clock.advance(2 * MINUTE);
    expect(await isDenied(sandbox, armed)).toBe(true);
    expect(await isDenied(sandbox, other)).toBe(false);
  });

  it("revoke after arm denies at once and leaves only the unconditional deny", async () => {
    const revoker = sandboxRevoker(sandbox);
    const session = await startSession(sandbox, sessionId(4));
    const armed = await revoker.arm({
      ...revokeInput(session),
      activateAt: new Date(sandbox.clock.now() + 3_000_000),
    });
    expect(await isDenied(sandbox, session)).toBe(false);

    const revoked = await revoker.revoke(revokeInput(session));
    expect(await isDenied(sandbox, session)).toBe(true);
    const names = [...(await rolePolicies(sandbox)).keys()];
    expect(names).toContain(revoked.policyName);
    expect(revoked.policyName.startsWith(REVOKE_PREFIX)).toBe(true);
    expect(names).not.toContain(armed.policyName);
  });

  it("revoke called while arm is still in flight denies at once and is not undone by the arm", async () => {
    const revoker = sandboxRevoker(sandbox);
    const session = await startSession(sandbox, sessionId(5));
    const arming = revoker.arm({
      ...revokeInput(session),
      activateAt: new Date(sandbox.clock.now() + 3_000_000),
    });
    const revoked = await revoker.revoke(revokeInput(session));
    expect(await isDenied(sandbox, session)).toBe(true);
    await arming;
    expect(await isDenied(sandbox, session)).toBe(true);
    const names = [...(await rolePolicies(sandbox)).keys()];
    expect(names).toContain(revoked.policyName);
    expect(names.filter((name) => name.startsWith(ARMED_PREFIX) && name.endsWith(session.name))).toEqual([]);
  });

  it("arms a session whose role id is unknown by looking it up", async () => {
    const revoker = sandboxRevoker(sandbox);
    const session = await startSession(sandbox, sessionId(6));
    const deadline = sandbox.clock.now() + MINUTE;
    await revoker.arm({ ...revokeInput(session), assumedRoleId: undefined, activateAt: new Date(deadline) });
    sandbox.clock.advance(2 * MINUTE);
    expect(await isDenied(sandbox, session)).toBe(true);
  });
});

describe("compaction and refresh sessions", () => {
  it("keeps a refresh session (ta-…-<id>-r1) denied once its deny is folded into a shard", async () => {
    const revoker = sandboxRevoker(sandbox);
    const id = sessionId(7);
    const refresh = await startSession(sandbox, id, { refresh: 1 });
    await revoker.revoke(revokeInput(refresh));
    // Enough other ended sessions for compaction to fold the single policies into a shard.
    for (let i = 0; i < 9; i++)
      await revoker.revoke(revokeInput(await startSession(sandbox, sessionId(100 + i))));

    const policies = await rolePolicies(sandbox);
    const names = [...policies.keys()];
    expect(names.filter((name) => name.endsWith(refresh.name))).toEqual([]);
    const shardIds = [...policies.values()].flatMap((document) => compactedSessionIds(document));
    expect(shardIds).toContain(id);
    expect(shardIds).not.toContain("r1");
    expect(await isDenied(sandbox, refresh)).toBe(true);
  });
});
