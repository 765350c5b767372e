// A run with `--credentials server` has one STS session per refresh: ta-<task>-<id>, then
// ta-<task>-<id>-r1, -r2, … (src/session/session-id.ts), every one tagged taskaccess:session=<id>
// (src/session/plan-run.ts). Each is revoked by a single deny (aws:userid), and compaction folds the
// singles into shards that deny by that tag. Compaction once read the id as the text after the last
// "-": a refresh's single was folded as the tag "r1", which no session carries, and then deleted,
// so the refresh was live again. Against the sandbox over HTTP with the real SDK, on the sandbox's
// movable clock: every revoked session must stay denied until it expires, through the revoker's
// clean-up (gc, the compactions after other runs end), and the shards must name the run's id.

import * as iam from "@aws-sdk/client-iam";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CompactionReport, compactRevokePolicies } from "../../src/aws/compact-revoke-policies.js";
import { compactedSessionIds, parseRevokeName, type RevokePolicyKind } from "../../src/aws/revoke-policy.js";
import { EXPIRY_MARGIN_MS } from "../../src/aws/role-policies.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import type { Revoker } from "../../src/session/ports.js";
import {
  baseCredentials,
  DEPLOYER,
  iamClient,
  s3Client,
  startTestSandbox,
  worldWithAdmin,
} from "../helpers/sandbox.js";
import {
  revokeInput,
  rolePolicies,
  type Session,
  sandboxRevoker,
  sessionId,
  startSession,
} from "./role-fixture.js";

const MINUTE = 60_000;
/** How long before a session's expiry the clock is stopped to check that it is still denied. */
const BEFORE_EXPIRY_MS = 10_000;
/** A session this close to its expiry is not called (its credentials may run out mid-check). */
const EDGE_MS = 5_000;

let sandbox: RunningSandbox;

beforeEach(async () => {
  sandbox = await startTestSandbox({ world: worldWithAdmin() });
});

afterEach(async () => {
  await sandbox.close();
});

interface OurPolicy {
  name: string;
  kind: RevokePolicyKind;
  expiresAt: number;
  /** single: the session name it denies by aws:userid. */
  sessionName: string;
  /** shard: the session tags it denies. */
  ids: string[];
}

// The role's revoke policies (not armed ones: none are written here), as their names and documents say.
async function ourPolicies(): Promise<OurPolicy[]> {
  const policies: OurPolicy[] = [];
  for (const [name, document] of await rolePolicies(sandbox)) {
    const parsed = parseRevokeName(name);
    if (!parsed) continue;
    const ids = parsed.kind === "shard" ? compactedSessionIds(document) : [];
    policies.push({
      name,
      kind: parsed.kind,
      expiresAt: parsed.expiresAt,
      sessionName: parsed.sessionName,
      ids,
    });
  }
  return policies;
}

// What a session gets when it calls AWS with its own credentials (s3:ListAllMyBuckets, which the
// deployer role allows): "allowed", or the error's name and message.
async function callAs(session: Session): Promise<string> {
  try {
    await s3Client(sandbox, session.credentials).send(new ListBucketsCommand({}));
    return "allowed";
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

// A compaction as the revoker runs one when a session waits for room (force: whatever the number of
// singles), written by a gc-like run of its own.
async function compactNow(): Promise<CompactionReport> {
  const ctx = {
    iam,
    client: iamClient(sandbox, baseCredentials(sandbox)),
    roleName: "deployer",
    now: sandbox.clock.now(),
    random: Math.random,
  };
  return compactRevokePolicies(ctx, `ta-gc-${sessionId(999)}`, { force: true });
}

function covers(policy: OurPolicy, session: Session): boolean {
  return policy.kind === "single" ? policy.sessionName === session.name : policy.ids.includes(session.id);
}

// Checks, at the sandbox's current time, that every revoked session not yet expired is refused with
// an explicit deny and held by a policy on the role that lasts until it expires; that no shard was
// deleted while a session only it held was still valid; that every shard denies session ids (never
// "r1"); and that a session nobody revoked still works.
function createWatch(revoked: Session[], bystander: Session) {
  const seenShards = new Map<string, OurPolicy>();
  return async function checkpoint(label: string): Promise<void> {
    const now = sandbox.clock.now();
    const policies = await ourPolicies();
    const problems: string[] = [];
    const tags = new Set(revoked.map((session) => session.id));
    for (const policy of policies.filter((p) => p.kind === "shard")) {
      seenShards.set(policy.name, policy);
      for (const id of policy.ids.filter((tag) => !tags.has(tag)))
        problems.push(`${policy.name} denies the tag ${id}, which no session carries`);
    }
    for (const session of revoked.filter((s) => s.expiration.getTime() > now + EDGE_MS)) {
      const until = session.expiration.toISOString();
      if (!policies.some((p) => covers(p, session) && p.expiresAt >= session.expiration.getTime())) {
        const gone = [...seenShards.values()].filter(
          (shard) => covers(shard, session) && !policies.some((p) => p.name === shard.name),
        );
        problems.push(
          `${session.name} (valid until ${until}) has no deny lasting until then` +
            (gone.length > 0 ? `; deleted meanwhile: ${gone.map((shard) => shard.name).join(", ")}` : ""),
        );
      }
      const answer = await callAs(session);
      if (!/^AccessDenied: .*explicit deny/.test(answer))
        problems.push(`${session.name} (until ${until}): ${answer}`);
    }
    if (bystander.expiration.getTime() > now + EDGE_MS) {
      const answer = await callAs(bystander);
      if (answer !== "allowed") problems.push(`${bystander.name}, never revoked: ${answer}`);
    }
    expect(problems, `${label} (sandbox time ${new Date(now).toISOString()})`).toEqual([]);
  };
}

// Walks the sandbox clock to just before each of `sessions`' expiries, and at each stop runs what
// runs on a real role meanwhile: gc (deleteExpired), other runs ending (their revocations delete
// expired policies and fold singles), a forced compaction; then checks.
async function walkToEachExpiry(
  revoker: Revoker,
  sessions: readonly Session[],
  revoked: Session[],
  checkpoint: (label: string) => Promise<void>,
): Promise<void> {
  let next = 500;
  const byExpiry = [...sessions].sort((a, b) => a.expiration.getTime() - b.expiration.getTime());
  for (const session of byExpiry) {
    sandbox.clock.advance(session.expiration.getTime() - BEFORE_EXPIRY_MS - sandbox.clock.now());
    await revoker.deleteExpired(DEPLOYER);
    const ending = [
      await startSession(sandbox, sessionId(next++), { durationSeconds: 900 }),
      await startSession(sandbox, sessionId(next++), { durationSeconds: 1800, refresh: 1 }),
    ];
    for (const other of ending) {
      await revoker.revoke(revokeInput(other));
      revoked.push(other);
    }
    await compactNow();
    await checkpoint(`just before ${session.name} expires`);
  }
}

// After every session's expiry and the margin, gc leaves none of the role's revoke policies: the
// shards' names said when they could go, and that time came.
async function expectAllCleanedUp(revoker: Revoker, revoked: readonly Session[]): Promise<void> {
  const last = Math.max(...revoked.map((session) => session.expiration.getTime()));
  sandbox.clock.advance(last + EXPIRY_MARGIN_MS + MINUTE - sandbox.clock.now());
  await revoker.deleteExpired(DEPLOYER);
  expect(await ourPolicies()).toEqual([]);
}

describe("compaction of refresh sessions (ta-<task>-<id>-r<N>)", () => {
  it("folds a run's first, -r1 and -r2 singles into shards by its id, and every session stays denied until it expires", async () => {
    const revoker = sandboxRevoker(sandbox);
    const run = sessionId(1);
    const first = await startSession(sandbox, run, { durationSeconds: 1200 });
    const r1 = await startSession(sandbox, run, { refresh: 1, durationSeconds: 2400 });
    const r2 = await startSession(sandbox, run, { refresh: 2, durationSeconds: 3600 });
    // Other runs: one with a first session only, one whose refresh alone is revoked here.
    const other = await startSession(sandbox, sessionId(2), { durationSeconds: 1500 });
    const otherRefresh = await startSession(sandbox, sessionId(3), { refresh: 1, durationSeconds: 3000 });
    const bystander = await startSession(sandbox, sessionId(4), { durationSeconds: 43_200 });
    const ended = [first, r1, r2, other, otherRefresh];
    const revoked = [...ended];
    const checkpoint = createWatch(revoked, bystander);

    // Five revocations: fewer singles than a revoke's own clean-up folds, so each stays a single.
    for (const session of ended) await revoker.revoke(revokeInput(session));
    const singles = (await ourPolicies()).filter((p) => p.kind === "single");
    expect(singles.map((p) => p.sessionName).sort()).toEqual(ended.map((s) => s.name).sort());
    await checkpoint("singles written");

    const report = await compactNow();
    expect(report.shard?.covered).toEqual(new Set([run, other.id, otherRefresh.id]));
    const policies = await ourPolicies();
    expect(policies.filter((p) => p.kind === "single").map((p) => p.sessionName)).toEqual([]);
    const shards = policies.filter((p) => p.kind === "shard");
    // The documents deny the full session ids, the run's once for its three sessions, never "r1"/"r2".
    expect([...new Set(shards.flatMap((p) => p.ids))].sort()).toEqual(
      [run, other.id, otherRefresh.id].sort(),
    );
    for (const shard of shards.filter((p) => p.ids.includes(run)))
      expect(shard.expiresAt).toBeGreaterThanOrEqual(r2.expiration.getTime());
    await checkpoint("after compaction");

    await walkToEachExpiry(revoker, ended, revoked, checkpoint);
    await expectAllCleanedUp(revoker, revoked);
  }, 60_000);

  it("keeps a run's refreshes denied once its first session's deny has expired and been cleaned up", async () => {
    const revoker = sandboxRevoker(sandbox);
    const run = sessionId(1);
    const bystander = await startSession(sandbox, sessionId(2), { durationSeconds: 43_200 });
    // The credential server refreshes 5 minutes before expiry: 15-minute sessions, 10 minutes apart.
    const first = await startSession(sandbox, run, { durationSeconds: 900 });
    sandbox.clock.advance(10 * MINUTE);
    const r1 = await startSession(sandbox, run, { refresh: 1, durationSeconds: 900 });
    sandbox.clock.advance(10 * MINUTE);
    const r2 = await startSession(sandbox, run, { refresh: 2, durationSeconds: 900 });
    sandbox.clock.advance(2 * MINUTE);

    // The run ends 22 minutes in and revokes its sessions in the order they were issued. The first's
    // credentials expired 7 minutes ago: the clean-up after its revocation deletes its deny at once,
    // so nothing on the role denies the run's tag until the refreshes' singles are folded.
    const revoked = [first, r1, r2];
    const checkpoint = createWatch(revoked, bystander);
    for (const session of revoked) await revoker.revoke(revokeInput(session));
    const singles = (await ourPolicies()).filter((p) => p.kind === "single").map((p) => p.sessionName);
    expect(singles.sort()).toEqual([r1.name, r2.name].sort());

    // Other runs end, with different expiries; at six singles a revocation's clean-up folds them.
    const others = [
      await startSession(sandbox, sessionId(3), { durationSeconds: 1200 }),
      await startSession(sandbox, sessionId(4), { durationSeconds: 1800, refresh: 1 }),
      await startSession(sandbox, sessionId(5), { durationSeconds: 2400 }),
      await startSession(sandbox, sessionId(6), { durationSeconds: 3000, refresh: 2 }),
    ];
    for (const session of others) {
      await revoker.revoke(revokeInput(session));
      revoked.push(session);
    }
    const policies = await ourPolicies();
    expect(policies.filter((p) => p.kind === "single").map((p) => p.sessionName)).toEqual([]);
    await checkpoint("after the compaction that other runs' ending triggered");
    const shardIds = policies.filter((p) => p.kind === "shard").flatMap((p) => p.ids);
    expect(shardIds).toContain(run);
    expect(shardIds).not.toContain("r1");
    expect(shardIds).not.toContain("r2");

    await walkToEachExpiry(revoker, [r1, r2, ...others], revoked, checkpoint);
    await expectAllCleanedUp(revoker, revoked);
  }, 60_000);
});
