// Folds pre-armed denies into one policy per deadline bucket, and drops the armed denies of
// sessions that an unconditional shard already denies (their runs ended and revoked them).

import { planBuckets } from "./armed-buckets.js";
import { armedBucketDocument, parseArmedDocument } from "./armed-policy.js";
import { type Source, writeAndReplace } from "./replace-policies.js";
import { armedBucketName } from "./revoke-policy.js";
import {
  deletePolicy,
  EXPIRY_MARGIN_MS,
  type PolicyContents,
  policySize,
  type TidyContext,
} from "./role-policies.js";

/** Sessions in one bucket policy: about 1,700 characters, so a rewrite never needs much room. */
const BUCKET_MAX_IDS = 100;

export interface ArmedOutcome {
  /** Characters the role gained (negative: used). */
  freed: number;
  notes: string[];
}

type ArmedContents = PolicyContents & { activateAt: number };

interface Group {
  at: number;
  ids: Map<string, number>;
  sources: Source[];
  changed: boolean;
}

// `armed` are the role's armed policies as read; `denied` the session ids that unconditional
// shards hold; `room` the characters free. `writer` (this session's id) makes the names this
// process writes its own.
export async function compactArmedPolicies(
  ctx: TidyContext,
  writer: string,
  armed: readonly PolicyContents[],
  denied: ReadonlySet<string>,
  room: number,
): Promise<ArmedOutcome> {
  const notes: string[] = [];
  const { live, dropped, freed } = await dropRevoked(ctx, armed, denied);
  if (dropped > 0) notes.push(`dropped ${dropped} armed policies of revoked sessions`);
  let written = 0;
  let folded = 0;
  let left = room + freed;
  for (const group of rankByRoomFreed(groupByBucket(ctx, live, denied))) {
    // A write the role has no room for would only be refused: leave it for a later pass.
    if (policySize(bucketDocument(group)) > left) continue;
    const done = await writeGroup(ctx, writer, group);
    if (done === undefined) continue;
    left += done.freed;
    written += done.policies;
    folded += done.deleted;
  }
  if (written > 0) notes.push(`folded ${folded} armed policies into ${written} deadline buckets`);
  return { freed: left - room, notes };
}

// Deletes the armed policies every session of which a shard denies for good already: they only
// take room. Returns the others.
async function dropRevoked(
  ctx: TidyContext,
  armed: readonly PolicyContents[],
  denied: ReadonlySet<string>,
): Promise<{ live: ArmedContents[]; dropped: number; freed: number }> {
  const live: ArmedContents[] = [];
  let dropped = 0;
  let freed = 0;
  for (const contents of armed) {
    const { activateAt } = contents;
    if (activateAt === undefined) continue;
    if (!contents.ids.every((id) => denied.has(id))) live.push({ ...contents, activateAt });
    else if (await deletePolicy(ctx, contents.policy.name)) {
      dropped++;
      freed += policySize(contents.document);
    }
  }
  return { live, dropped, freed };
}

// Which bucket each armed policy's sessions go to: the grid of planBuckets, never earlier. Only
// groups that change something are returned (a single to fold, a revoked session to drop, a
// bucket that moved, several policies of one bucket to merge).
function groupByBucket(
  ctx: TidyContext,
  live: readonly ArmedContents[],
  denied: ReadonlySet<string>,
): Group[] {
  const bucket = planBuckets(
    live.map((contents) => contents.activateAt),
    ctx.now + EXPIRY_MARGIN_MS,
  );
  const groups = new Map<number, Group>();
  for (const contents of live) {
    const at = bucket(contents.activateAt);
    const group: Group = groups.get(at) ?? { at, ids: new Map(), sources: [], changed: false };
    groups.set(at, group);
    const keep = contents.ids.filter((id) => !denied.has(id));
    for (const id of keep) group.ids.set(id, Math.max(group.ids.get(id) ?? 0, contents.policy.expiresAt));
    group.sources.push({ contents, mustHold: keep });
    const moved = contents.activateAt !== at;
    if (contents.policy.kind === "armed-single" || keep.length < contents.ids.length || moved)
      group.changed = true;
  }
  return [...groups.values()].filter((group) => group.changed || group.sources.length > 1);
}

// Writes that free the most room first, so that a nearly full role makes room for the rest.
function rankByRoomFreed(groups: Group[]): Group[] {
  const freed = (group: Group) =>
    group.sources.reduce((sum, source) => sum + policySize(source.contents.document), 0) -
    policySize(bucketDocument(group));
  return groups.sort((a, b) => freed(b) - freed(a));
}

// The bucket document for a whole group (chunks of it, when large, come to about the same).
function bucketDocument(group: Group): string {
  return armedBucketDocument(group.at, [...group.ids.keys()]);
}

// Writes a group's bucket policies (several when it holds more than BUCKET_MAX_IDS sessions) and
// replaces its sources; undefined when the role had no room.
async function writeGroup(
  ctx: TidyContext,
  writer: string,
  group: Group,
): Promise<{ policies: number; deleted: number; freed: number } | undefined> {
  const ids = [...group.ids.keys()].sort();
  const writes = [];
  for (let start = 0; start < ids.length; start += BUCKET_MAX_IDS) {
    const chunk = ids.slice(start, start + BUCKET_MAX_IDS);
    const expiresAt = Math.max(...chunk.map((id) => group.ids.get(id) ?? 0));
    const suffix = Math.floor(ctx.random() * 36 ** 4).toString(36);
    writes.push({
      name: armedBucketName(new Date(expiresAt), `${writer}-${suffix}`),
      document: armedBucketDocument(group.at, chunk),
      // Confirmed only if it reads back with the same time: a later one would deny too late.
      confirm: (stored: string) => {
        const parsed = parseArmedDocument(stored);
        return parsed?.activateAt === Math.ceil(group.at / 1000) * 1000 ? parsed.sessionIds : [];
      },
    });
  }
  const done = await writeAndReplace(ctx, writes, group.sources);
  return done && { policies: writes.length, deleted: done.deleted, freed: done.freed };
}
