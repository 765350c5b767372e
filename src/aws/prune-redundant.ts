// Policies that deny nothing new: a single whose session a shard already denies, or a shard whose
// every session later shards deny (concurrent compactions leave such copies behind). Deleting
// them needs no free room.

import { deletePolicy, type PolicyContents, readPolicy, type TidyContext } from "./role-policies.js";

// Deletes the redundant unconditional policies and returns the rest. A shard counts as covered
// only by shards whose names sort after its own and that expire no earlier: two processes pruning
// at once then never delete each other's cover, because the last name is never pruned (a chain
// of covers ends there), and a cover never expires while the session it stands for is valid.
export async function pruneRedundant(
  ctx: TidyContext,
  contents: readonly PolicyContents[],
): Promise<{ kept: PolicyContents[]; note: string | undefined }> {
  const shards = contents.filter((c) => c.policy.kind === "shard");
  const coveredBy = (c: PolicyContents, id: string) =>
    shards.some(
      (shard) =>
        shard !== c &&
        shard.policy.expiresAt >= c.policy.expiresAt &&
        (c.policy.kind !== "shard" || shard.policy.name > c.policy.name) &&
        shard.ids.includes(id),
    );
  const kept: PolicyContents[] = [];
  let dropped = 0;
  for (const c of contents) {
    const redundant =
      (c.policy.kind === "single" || c.policy.kind === "shard") && c.ids.every((id) => coveredBy(c, id));
    if (redundant && (await stillSays(ctx, c)) && (await deletePolicy(ctx, c.policy.name))) dropped++;
    else kept.push(c);
  }
  return {
    kept,
    note: dropped > 0 ? `deleted ${dropped} revoke policies that shards already hold` : undefined,
  };
}

// A single may have been rewritten in place since it was read (by a taskaccess from before the
// reserve, which folded others into its own): then it is not redundant any more.
async function stillSays(ctx: TidyContext, c: PolicyContents): Promise<boolean> {
  return c.policy.kind !== "single" || (await readPolicy(ctx, c.policy.name)) === c.document;
}
