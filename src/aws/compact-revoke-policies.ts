import {
  compactedRevokeDocument,
  compactedRevokeName,
  compactedSessionIds,
  type ParsedRevokeName,
  parseRevokeName,
  sessionIdOf,
} from "./revoke-policy.js";

type IamModule = typeof import("@aws-sdk/client-iam");
type IamClient = import("@aws-sdk/client-iam").IAMClient;

/** Compact single-session policies (about 175 characters each) once a role carries this many. */
export const COMPACT_THRESHOLD = 8;
/**
 * Sessions in one compacted shard: 100 ids of 12 characters are about 1,600 characters, so a new
 * shard never needs room for a copy of all the others (see docs/security-model.md).
 */
export const SHARD_MAX_IDS = 100;
/** Ever smaller shards to try when the role is nearly full. */
const SHARD_LADDER = [SHARD_MAX_IDS, 24, 8, 2] as const;
/** Ever fewer other sessions to fold into this session's own policy, rewritten in place. */
const FOLD_LADDER = [24, 8, 4, 2, 1] as const;
/** Expired revoke policies are deleted only after this margin, for clock skew. */
export const EXPIRY_MARGIN_MS = 5 * 60 * 1000;

export interface TidyContext {
  iam: IamModule;
  client: IamClient;
  roleName: string;
  now: number;
  random: () => number;
}

export interface Compacted {
  /** The policy written, and the session ids it is confirmed to hold. */
  policy: string;
  covered: Set<string>;
  note: string;
}

type RevokePolicy = ParsedRevokeName & { name: string };
interface Candidate {
  ids: Map<string, number>;
  /** Policies whose sessions all move into the new one, to delete once it is confirmed. */
  replaces: string[];
}

// Deletes expired revoke policies and, once a role carries many single-session policies, folds
// them into bounded shards. Safe under concurrency: a policy is deleted only after a policy that
// holds all its sessions has been written and read back, and every name written is either this
// session's own single policy or a shard named after this session plus a random suffix, so no two
// processes ever write the same name. `own` is set when this session's single policy could not be
// written: the shard must then hold this session too. `ownPolicy` is this session's single policy
// when it exists: as a last resort it is rewritten in place to hold some others too, which needs
// almost no free room and frees about 175 characters for each session folded into it.
export async function compactRevokePolicies(
  ctx: TidyContext,
  sessionName: string,
  options: { own?: { id: string; expiresAt: number }; ownPolicy?: string } = {},
): Promise<Compacted | string | undefined> {
  const { iam, client, roleName } = ctx;
  const ours = await listRevokePolicies(iam, client, roleName);
  const expired = ours.filter((policy) => policy.expiresAt + EXPIRY_MARGIN_MS < ctx.now);
  for (const policy of expired) {
    await client
      .send(new iam.DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policy.name }))
      .catch(() => {});
  }
  const deletedNote = expired.length > 0 ? `deleted ${expired.length} expired revoke policies` : undefined;
  const live = ours.filter((policy) => !expired.includes(policy));
  const singles = live.filter((policy) => !policy.compacted);
  if (singles.length < COMPACT_THRESHOLD && options.own === undefined) return deletedNote;

  // A single policy holds its own session, and others once it has been folded into in place.
  const contents = new Map<string, string[]>();
  for (const policy of live) {
    const document = await readPolicy(ctx, policy.name);
    if (document === undefined) continue;
    const folded = compactedSessionIds(document);
    contents.set(policy.name, policy.compacted ? folded : [sessionIdOf(policy.sessionName), ...folded]);
  }
  const idsOf = (policy: RevokePolicy) => contents.get(policy.name) ?? [];
  const own = options.own;
  // Shuffled, so that runs compacting at the same moment mostly pick different sessions instead
  // of each writing a copy of the same ones.
  const readable = shuffle(
    singles.filter((policy) => contents.has(policy.name)),
    ctx.random,
  );
  const otherSingles = readable.filter((policy) => policy.name !== options.ownPolicy);
  const shards = live
    .filter((policy) => policy.compacted && contents.has(policy.name))
    .sort((a, b) => idsOf(a).length - idsOf(b).length);

  const gather = (from: RevokePolicy[], limit: number, base: Map<string, number>): Candidate => {
    const ids = new Map(base);
    const replaces: string[] = [];
    for (const policy of from) {
      const fresh = idsOf(policy).filter((id) => !ids.has(id));
      if (ids.size + fresh.length > limit) continue;
      for (const id of fresh) ids.set(id, policy.expiresAt);
      replaces.push(policy.name);
    }
    return { ids, replaces };
  };
  const start = new Map<string, number>(own ? [[own.id, own.expiresAt]] : []);
  const shardPlans: Candidate[] = [gather([...readable, ...shards], SHARD_MAX_IDS, start)];
  for (const size of SHARD_LADDER) shardPlans.push(gather(readable, size, start));

  for (const plan of shardPlans) {
    if (plan.ids.size < 2 && !own) continue;
    const name = compactedRevokeName(
      new Date(Math.max(...plan.ids.values())),
      `${sessionIdOf(sessionName)}-${Math.floor(ctx.random() * 36 ** 4).toString(36)}`,
    );
    const done = await writeAndReplace(ctx, name, plan);
    if (done) return { ...done, note: joinNotes(done.note, deletedNote) };
  }
  // Nearly full: rewrite this session's own policy to also hold a few others (only those that
  // expire no later, since the name keeps this session's expiry for clean-up).
  if (options.ownPolicy !== undefined) {
    const mine = live.find((policy) => policy.name === options.ownPolicy);
    if (mine) {
      const foldable = otherSingles.filter((policy) => policy.expiresAt <= mine.expiresAt);
      const base = new Map(idsOf(mine).map((id) => [id, mine.expiresAt] as const));
      for (const size of FOLD_LADDER) {
        const plan = gather(foldable, base.size + size, base);
        if (plan.replaces.length === 0) continue;
        const done = await writeAndReplace(ctx, mine.name, plan);
        if (done) return { ...done, note: joinNotes(`role nearly full: ${done.note}`, deletedNote) };
      }
    }
  }
  throw new CompactionError(`no room on role ${roleName} to compact its revoke policies`);
}

// Thrown when even the smallest compaction does not fit; the caller retries after others have
// made room, or records the revocation as failed.
export class CompactionError extends Error {
  override readonly name = "LimitExceededException";
}

async function writeAndReplace(
  ctx: TidyContext,
  name: string,
  plan: Candidate,
): Promise<(Omit<Compacted, "note"> & { note: string }) | undefined> {
  const { iam, client, roleName } = ctx;
  try {
    await client.send(
      new iam.PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: name,
        PolicyDocument: compactedRevokeDocument([...plan.ids.keys()]),
      }),
    );
  } catch (error) {
    if (isLimitExceeded(error)) return undefined;
    throw error;
  }
  const stored = new Set(compactedSessionIds((await readPolicy(ctx, name)) ?? ""));
  let deleted = 0;
  for (const replaced of plan.replaces) {
    if (replaced === name) continue;
    await client
      .send(new iam.DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: replaced }))
      .then(() => {
        deleted++;
      })
      .catch(() => {});
  }
  return {
    policy: name,
    covered: stored,
    note: `folded ${deleted} revoke policies into ${name} (${stored.size} sessions)`,
  };
}

// Every taskaccess revoke policy on a role, with what its name says.
export async function listRevokePolicies(
  iam: IamModule,
  client: IamClient,
  roleName: string,
): Promise<RevokePolicy[]> {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(
      new iam.ListRolePoliciesCommand({
        RoleName: roleName,
        ...(marker ? { Marker: marker } : {}),
        MaxItems: 1000,
      }),
    );
    names.push(...(page.PolicyNames ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return names.flatMap((name) => {
    const parsed = parseRevokeName(name);
    return parsed ? [{ name, ...parsed }] : [];
  });
}

// True for IAM's answer when a role's inline policies would exceed their aggregate size.
export function isLimitExceeded(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name ?? "";
  return name === "LimitExceededException" || name === "LimitExceeded";
}

async function readPolicy(ctx: TidyContext, name: string): Promise<string | undefined> {
  const result = await ctx.client
    .send(new ctx.iam.GetRolePolicyCommand({ RoleName: ctx.roleName, PolicyName: name }))
    .catch(() => undefined);
  return result?.PolicyDocument === undefined ? undefined : decodeURIComponent(result.PolicyDocument);
}

function joinNotes(...notes: Array<string | undefined>): string {
  return notes.filter(Boolean).join("; ");
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}
