// Compaction of a role's revoke and armed policies: ended sessions into unconditional shards,
// live armed ones into deadline buckets, as far as IAM's 10,240 characters allow.

import { compactArmedPolicies } from "./compact-armed-policies.js";
import { pruneRedundant } from "./prune-redundant.js";
import { type Source, writeAndReplace } from "./replace-policies.js";
import {
  compactedRevokeDocument,
  compactedRevokeName,
  compactedSessionIds,
  parseRevokeName,
  sessionIdOf,
} from "./revoke-policy.js";
import {
  deletePolicy,
  EXPIRY_MARGIN_MS,
  freeRoom,
  isExpired,
  listRolePolicyNames,
  ours,
  type PolicyContents,
  type RevokePolicy,
  readAllContents,
  type TidyContext,
} from "./role-policies.js";
import {
  ensureReserve,
  RESERVE_CHARACTERS,
  RESERVE_NAME,
  releaseReserve,
  restoreReserve,
} from "./role-reserve.js";

/**
 * Compact once a role carries this many single-session policies (unconditional or armed): each
 * takes about 180 (armed: 235) characters until folded, and a role holding 50 live armed sessions
 * and 300 ended ones has about 2,000 to spare for them (docs/security-model.md).
 */
export const COMPACT_THRESHOLD = 6;
/**
 * Sessions in one compacted shard: 100 ids of 12 characters are about 1,650 characters, so a new
 * shard never needs room for a copy of all the others (see docs/security-model.md).
 */
export const SHARD_MAX_IDS = 100;
/** A shard's characters: its statement, and 15 a session ("id", with a comma). */
const SHARD_BASE = 155;
const ID_CHARACTERS = 15;

export interface CompactOptions {
  /** This session's unconditional deny found no room: the shard written must hold it. */
  own?: { id: string; expiresAt: number } | undefined;
  /**
   * Also try a shard of `own` alone. It takes as much room as a single policy would, room that
   * the compactions under way need, so a session asks for it only on its last attempts.
   */
  ownAlone?: boolean | undefined;
  /** Compact even with few single policies: a session's armed deny found no room. */
  force?: boolean | undefined;
}

export interface CompactionReport {
  /** The unconditional shard written, and the session ids it is confirmed to hold. */
  shard: { policy: string; covered: Set<string> } | undefined;
  note: string | undefined;
}

// Deletes expired policies and, once a role carries many single-session policies (or a session
// found no room), folds them into bounded shards: ended sessions into unconditional shards by
// tag, armed ones into deadline buckets. Safe under concurrency: a policy is deleted only after
// policies that hold all its sessions have been written and read back, and every name written is
// this session's own or carries this session's id and a random suffix, so no two processes ever
// write the same name.
export async function compactRevokePolicies(
  ctx: TidyContext,
  sessionName: string,
  options: CompactOptions = {},
): Promise<CompactionReport> {
  const names = await listRolePolicyNames(ctx.iam, ctx.client, ctx.roleName);
  const notes: string[] = [];
  const live = await deleteExpired(ctx, ours(names), notes);
  const singles = live.filter((policy) => policy.kind === "single" || policy.kind === "armed-single");
  if (singles.length < COMPACT_THRESHOLD && !options.own && !options.force) {
    await ensureReserve(ctx, names);
    return { shard: undefined, note: joinNotes(notes) };
  }
  const pruned = await pruneRedundant(ctx, await readAllContents(ctx, live));
  if (pruned.note) notes.push(pruned.note);
  const contents = pruned.kept;
  const foreign = names.filter((name) => parseRevokeName(name) === undefined);
  const room = await freeRoom(ctx, foreign, contents);
  const writer = sessionIdOf(sessionName);
  const release = () => releaseReserve(ctx, names);
  const unconditional = await compactUnconditional(ctx, { writer, contents, options, room, release });
  notes.push(...unconditional.notes);
  // Sessions denied for good by a shard: their armed denies only take room.
  const denied = new Set(unconditional.shard?.covered ?? []);
  for (const c of contents) if (c.policy.kind === "shard") for (const id of c.ids) denied.add(id);
  const armed = contents.filter(
    (c) => c.activateAt !== undefined && !unconditional.replaced.has(c.policy.name),
  );
  const armedRoom = room + unconditional.freed;
  const buckets = await compactArmedPolicies(ctx, writer, armed, denied, armedRoom);
  notes.push(...buckets.notes);
  await restoreReserve(
    ctx,
    names.includes(RESERVE_NAME) && !unconditional.released,
    armedRoom + buckets.freed,
  );
  return { shard: unconditional.shard, note: joinNotes(notes) };
}

// Deletes the policies whose sessions have all expired; returns the others.
async function deleteExpired(
  ctx: TidyContext,
  listed: RevokePolicy[],
  notes: string[],
): Promise<RevokePolicy[]> {
  let deleted = 0;
  for (const policy of listed.filter((p) => isExpired(p, ctx.now))) {
    if (await deletePolicy(ctx, policy.name)) deleted++;
  }
  if (deleted > 0) notes.push(`deleted ${deleted} expired revoke policies`);
  return listed.filter((policy) => !isExpired(policy, ctx.now));
}

interface UnconditionalOutcome {
  shard: { policy: string; covered: Set<string> } | undefined;
  /** Policies whose sessions the write holds (deleted, or left for a later pass to delete). */
  replaced: Set<string>;
  /** Characters the role gained, counting the reserve given up. */
  freed: number;
  /** True when the reserve was given up to make room. */
  released: boolean;
  notes: string[];
}

interface Plan {
  ids: Map<string, number>;
  sources: Source[];
}

interface UnconditionalInput {
  writer: string;
  contents: readonly PolicyContents[];
  options: CompactOptions;
  room: number;
  /** Gives up the role's reserve; true when that made room. */
  release: () => Promise<boolean>;
}

// Ended sessions (single policies, and armed ones whose deadline has passed, so that they deny
// for good anyway) into one shard by tag, merging the smallest shards as far as the room allows.
// When nothing fits, the role's reserve is given up and the shards are tried once more.
async function compactUnconditional(
  ctx: TidyContext,
  input: UnconditionalInput,
): Promise<UnconditionalOutcome> {
  const plans = shardPlans(ctx, input);
  const first = await writeFirstPlan(ctx, input.writer, plans);
  if (first !== "no room") return { ...first, released: false };
  // The reserve is for sessions waiting for room (their own deny, or their armed one).
  const waiting = input.options.own !== undefined || input.options.force === true;
  if (!waiting || !(await input.release())) {
    const notes = [`no room on role ${ctx.roleName} to compact its revoke policies`];
    return { shard: undefined, replaced: new Set(), freed: 0, released: false, notes };
  }
  const retried = await writeFirstPlan(
    ctx,
    input.writer,
    shardPlans(ctx, { ...input, room: input.room + RESERVE_CHARACTERS }),
  );
  const outcome =
    retried === "no room" ? { shard: undefined, replaced: new Set<string>(), freed: 0, notes: [] } : retried;
  return {
    ...outcome,
    freed: outcome.freed + RESERVE_CHARACTERS,
    released: true,
    notes: [...outcome.notes, "role full: gave up its reserve to compact"],
  };
}

// The shards to try, best first: the largest the room is known to take, then halves of it in case
// other runs took some of the room meanwhile, and for this session's own deny, as a last resort
// (ownAlone), a shard of it alone. Single policies go in first (the most room freed for the least written),
// then the smallest shards, merged as far as the room allows.
function shardPlans(ctx: TidyContext, input: UnconditionalInput): Plan[] {
  const active = (c: PolicyContents) =>
    c.activateAt !== undefined && c.activateAt + EXPIRY_MARGIN_MS < ctx.now;
  // Shuffled, so that runs compacting at the same moment mostly pick different sessions instead
  // of each writing a copy of the same ones.
  const foldable = shuffle(
    input.contents.filter((c) => c.policy.kind === "single" || active(c)),
    ctx.random,
  );
  const shards = input.contents
    .filter((c) => c.policy.kind === "shard")
    .sort((a, b) => a.ids.length - b.ids.length);
  const own = input.options.own;
  const start = new Map<string, number>(own ? [[own.id, own.expiresAt]] : []);
  const plans: Plan[] = [];
  // A session waiting for room tries two even when the room seems too small: a refusal is what
  // gives up the reserve for it.
  const waiting = own !== undefined || input.options.force === true;
  const room = Math.floor((input.room - SHARD_BASE) / ID_CHARACTERS);
  const fits = Math.min(SHARD_MAX_IDS, waiting ? Math.max(2, room) : room);
  for (let size = fits; size >= 2; size = Math.floor(size / 2))
    plans.push(gather([...foldable, ...shards], size, start));
  if (own && input.options.ownAlone) plans.push(gather([], 1, start));
  return plans.filter((plan) => plan.ids.size >= 2 || (own !== undefined && plan.ids.size >= 1));
}

// Writes the first plan the role takes; "no room" when none did (or there was none to try).
async function writeFirstPlan(
  ctx: TidyContext,
  writer: string,
  plans: readonly Plan[],
): Promise<Omit<UnconditionalOutcome, "released"> | "no room"> {
  for (const plan of plans) {
    const suffix = Math.floor(ctx.random() * 36 ** 4).toString(36);
    const name = compactedRevokeName(new Date(Math.max(...plan.ids.values())), `${writer}-${suffix}`);
    const document = compactedRevokeDocument([...plan.ids.keys()]);
    const done = await writeAndReplace(ctx, [{ name, document, confirm: compactedSessionIds }], plan.sources);
    if (!done) continue;
    return {
      shard: { policy: name, covered: done.covered },
      replaced: replacedNames(plan, done.covered),
      freed: done.freed,
      notes: [`folded ${done.deleted} revoke policies into ${name} (${done.covered.size} sessions)`],
    };
  }
  return plans.length === 0 ? { shard: undefined, replaced: new Set(), freed: 0, notes: [] } : "no room";
}

// Sources in order until `limit` sessions; each session keeps the latest expiry among the
// policies that hold it, so a shard's name never says it may go before one of its sessions ends.
function gather(from: readonly PolicyContents[], limit: number, base: ReadonlyMap<string, number>): Plan {
  const ids = new Map(base);
  const sources: Source[] = [];
  for (const contents of from) {
    const fresh = contents.ids.filter((id) => !ids.has(id));
    if (ids.size + fresh.length > limit) continue;
    for (const id of contents.ids) ids.set(id, Math.max(ids.get(id) ?? 0, contents.policy.expiresAt));
    sources.push({ contents, mustHold: contents.ids });
  }
  return { ids, sources };
}

function replacedNames(plan: Plan, covered: ReadonlySet<string>): Set<string> {
  return new Set(
    plan.sources.filter((s) => s.mustHold.every((id) => covered.has(id))).map((s) => s.contents.policy.name),
  );
}

function joinNotes(notes: readonly string[]): string | undefined {
  return notes.length > 0 ? notes.join("; ") : undefined;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}
