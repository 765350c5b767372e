// Pre-armed revocation at scale, against the sandbox over HTTP: 50 live armed sessions and 300
// ended ones on one role capped at 10,240 characters. Every ended session is denied; every live
// one works until its deadline and is denied at most the documented bucket bound after it, as
// the sandbox clock walks through all the deadlines; gc never removes a live session's armed deny.

import { mkdtempSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BUCKET_WIDTHS_MS, MAX_ARMED_BUCKETS, MAX_ARMED_LATENESS_MS } from "../../src/aws/armed-buckets.js";
import { parseArmedDocument } from "../../src/aws/armed-policy.js";
import { ARMED_PREFIX, compactedSessionIds, parseRevokeName } from "../../src/aws/revoke-policy.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import type { Revoker } from "../../src/session/ports.js";
import { createRoleLock } from "../../src/session/role-lock.js";
import { DEPLOYER, startTestSandbox, worldWithAdmin } from "../helpers/sandbox.js";
import {
  inlinePolicyCharacters,
  isDenied,
  ROLE_INLINE_LIMIT,
  revokeInput,
  rolePolicies,
  type Session,
  sandboxRevoker,
  sessionId,
  startSession,
} from "./role-fixture.js";

const MINUTE = 60_000;
const FIVE_MINUTES = 5 * MINUTE;
const LIVE = 50;
const ENDED = 300;
/** aws:CurrentTime has whole seconds: stay this far from a boundary when asserting. */
const EDGE_MS = 2_000;

interface Live {
  session: Session;
  deadline: number;
}

let sandbox: RunningSandbox;
const lockDir = mkdtempSync(join(tmpdir(), "taskaccess-armed-scale-"));

beforeEach(async () => {
  sandbox = await startTestSandbox({ world: worldWithAdmin() });
});

afterEach(async () => {
  await sandbox.close();
});

function revoker(): Revoker {
  const serialize = createRoleLock({ directory: lockDir, host: hostname(), clock: { now: Date.now } });
  return sandboxRevoker(sandbox, { serialize });
}

async function armLive(target: Revoker, count: number, deadlineOf: (i: number) => number): Promise<Live[]> {
  const live: Live[] = [];
  for (let i = 0; i < count; i++) {
    const session = await startSession(sandbox, sessionId(i), { durationSeconds: 43_200 });
    const deadline = deadlineOf(i);
    await target.arm({ ...revokeInput(session), activateAt: new Date(deadline) });
    live.push({ session, deadline });
  }
  return live;
}

// Moves the sandbox clock to `at` and sorts every live session by what the bound says of it now.
async function checkAt(at: number, live: readonly Live[], latenessMs: number) {
  sandbox.clock.advance(at - sandbox.clock.now());
  const wrong: string[] = [];
  let before = 0;
  let after = 0;
  for (const { session, deadline } of live) {
    const now = sandbox.clock.now();
    if (now < deadline - EDGE_MS) {
      before++;
      if (await isDenied(sandbox, session))
        wrong.push(`${session.id} denied ${deadline - now} ms before its deadline`);
    } else if (now > deadline + latenessMs + EDGE_MS) {
      after++;
      if (!(await isDenied(sandbox, session)))
        wrong.push(`${session.id} allowed ${now - deadline} ms after its deadline`);
    }
  }
  return { wrong, before, after };
}

// Who the role's armed policies hold (bucket tags, and single policies by name).
function armedIds(policies: Map<string, string>): Set<string> {
  const ids = new Set<string>();
  for (const [name, document] of policies) {
    const parsed = parseRevokeName(name);
    if (parsed?.kind === "armed-bucket")
      for (const id of parseArmedDocument(document)?.sessionIds ?? []) ids.add(id);
    if (parsed?.kind === "armed-single")
      ids.add(parsed.sessionName.slice(parsed.sessionName.lastIndexOf("-") + 1));
  }
  return ids;
}

describe("armed revocation at scale", () => {
  it(`holds ${LIVE} live armed sessions and ${ENDED} ended ones on one role`, async () => {
    const target = revoker();
    const start = sandbox.clock.now();
    // Deadlines 12 minutes apart over ten hours: far more 5-minute buckets than the role keeps.
    const live = await armLive(target, LIVE, (i) => start + 20 * MINUTE + i * 12 * MINUTE);
    const ended: Session[] = [];
    for (let i = 0; i < ENDED; i++) {
      const session = await startSession(sandbox, sessionId(1000 + i));
      await target.arm({ ...revokeInput(session), activateAt: new Date(sandbox.clock.now() + 30 * MINUTE) });
      await target.revoke(revokeInput(session));
      ended.push(session);
    }

    expect(await inlinePolicyCharacters(sandbox)).toBeLessThanOrEqual(ROLE_INLINE_LIMIT);
    const stillAllowed: string[] = [];
    for (const session of ended) if (!(await isDenied(sandbox, session))) stillAllowed.push(session.id);
    expect(stillAllowed).toEqual([]);
    const policies = await rolePolicies(sandbox);
    const held = armedIds(policies);
    expect(live.map(({ session }) => session.id).filter((id) => !held.has(id))).toEqual([]);
    const buckets = [...policies.keys()].filter((name) => parseRevokeName(name)?.kind === "armed-bucket");
    expect(buckets.length).toBeGreaterThan(0);
    expect(
      new Set(buckets.map((name) => parseArmedDocument(policies.get(name) ?? "")?.activateAt)).size,
    ).toBeLessThanOrEqual(MAX_ARMED_BUCKETS + 1);

    const wrong: string[] = [];
    const done: string[] = [];
    let before = 0;
    let after = 0;
    for (let at = start + 10 * MINUTE; at < start + 11.5 * 60 * MINUTE; at += 10 * MINUTE) {
      // Once the ended sessions have expired: gc. Halfway through the deadlines: more runs end.
      if (at === start + 80 * MINUTE) {
        wrong.push(...(await collectGarbage(target, live)));
        done.push("gc");
      }
      if (at === start + 300 * MINUTE) {
        wrong.push(...(await endMore(target)));
        done.push("more ended");
      }
      const seen = await checkAt(at, live, MAX_ARMED_LATENESS_MS);
      wrong.push(...seen.wrong);
      before += seen.before;
      after += seen.after;
    }
    expect(done).toEqual(["gc", "more ended"]);
    expect(wrong).toEqual([]);
    // Every live session was seen both before its deadline and past the bound.
    expect(before).toBeGreaterThanOrEqual(LIVE);
    expect(after).toBeGreaterThanOrEqual(LIVE);
    expect(await inlinePolicyCharacters(sandbox)).toBeLessThanOrEqual(ROLE_INLINE_LIMIT);
  }, 240_000);

  it("denies a killed run's session within 5 minutes of its deadline while the deadlines are few", async () => {
    expect(BUCKET_WIDTHS_MS[0]).toBe(FIVE_MINUTES);
    const target = revoker();
    const start = sandbox.clock.now();
    const live = await armLive(target, 20, (i) => start + 10 * MINUTE + i * 2 * MINUTE);
    // Once compacted (after arm() returns), most sit in a 5-minute bucket, not a policy of their own.
    await vi.waitFor(
      async () => {
        const inBuckets = [...(await rolePolicies(sandbox))]
          .filter(([name]) => parseRevokeName(name)?.kind === "armed-bucket")
          .flatMap(([, document]) => parseArmedDocument(document)?.sessionIds ?? []);
        expect(inBuckets.length).toBeGreaterThanOrEqual(10);
      },
      { timeout: 20_000, interval: 250 },
    );
    const wrong: string[] = [];
    let after = 0;
    for (let at = start + MINUTE; at < start + 60 * MINUTE; at += MINUTE) {
      const seen = await checkAt(at, live, FIVE_MINUTES);
      wrong.push(...seen.wrong);
      after += seen.after;
    }
    expect(wrong).toEqual([]);
    expect(after).toBeGreaterThanOrEqual(20);
  }, 120_000);
});

// gc once the ended sessions have expired: it deletes their policies and no policy that holds a
// live session's armed deny.
async function collectGarbage(target: Revoker, live: readonly Live[]): Promise<string[]> {
  const before = await rolePolicies(sandbox);
  const deleted = await target.deleteExpired(DEPLOYER);
  const liveIds = live.map(({ session }) => session.id);
  const wrong = deleted.flatMap((name) => {
    const document = before.get(name) ?? "";
    const ids = [...compactedSessionIds(document), ...(parseArmedDocument(document)?.sessionIds ?? [])];
    const holdsLive = ids.some((id) => liveIds.includes(id)) || liveIds.some((id) => name.endsWith(id));
    return holdsLive ? [`gc deleted ${name}, which holds a live session`] : [];
  });
  if (deleted.length === 0) wrong.push("gc deleted nothing, though the ended sessions have expired");
  const held = armedIds(await rolePolicies(sandbox));
  wrong.push(...liveIds.filter((id) => !held.has(id)).map((id) => `${id} lost its armed deny to gc`));
  return wrong;
}

// Halfway through the deadlines, more runs end: compaction runs with armed denies already active.
async function endMore(target: Revoker): Promise<string[]> {
  const wrong: string[] = [];
  for (let i = 0; i < 9; i++) {
    const session = await startSession(sandbox, sessionId(5000 + i));
    await target.revoke(revokeInput(session));
    if (!(await isDenied(sandbox, session))) wrong.push(`${session.id} allowed after revoke`);
  }
  if ((await inlinePolicyCharacters(sandbox)) > ROLE_INLINE_LIMIT) wrong.push("role over its inline limit");
  const armedNames = [...(await rolePolicies(sandbox)).keys()].filter((name) =>
    name.startsWith(ARMED_PREFIX),
  );
  if (armedNames.length === 0) wrong.push("no armed policy left while live sessions remain");
  return wrong;
}
