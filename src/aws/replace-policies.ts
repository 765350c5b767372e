// The one step that makes compaction safe under concurrency: write the new policies, read them
// back, and only then delete the policies they replace, each only if the read-back holds every
// session it denied. No session's deny is ever removed before a confirmed one stands in for it.

import {
  deletePolicy,
  type PolicyContents,
  policySize,
  putPolicy,
  readPolicy,
  type TidyContext,
} from "./role-policies.js";

export interface PolicyWrite {
  name: string;
  document: string;
  /** The session ids a stored document really denies (as this write means it). */
  confirm: (stored: string) => Iterable<string>;
}

export interface Replaced {
  /** Session ids the written policies are confirmed to hold. */
  covered: Set<string>;
  deleted: number;
  /** Characters the role gained (negative: used), for planning the next write. */
  freed: number;
}

/** A policy to delete once the writes hold `mustHold` (its ids that nothing else denies already). */
export interface Source {
  contents: PolicyContents;
  mustHold: readonly string[];
}

// Writes every policy, confirms them, then deletes the sources they cover. Undefined when a write
// found no room (the sources then all stay; anything already written is a harmless duplicate).
export async function writeAndReplace(
  ctx: TidyContext,
  writes: readonly PolicyWrite[],
  sources: readonly Source[],
): Promise<Replaced | undefined> {
  const covered = new Set<string>();
  for (const write of writes) {
    if (!(await putPolicy(ctx, write.name, write.document))) return undefined;
    for (const id of write.confirm((await readPolicy(ctx, write.name)) ?? "")) covered.add(id);
  }
  const written = new Set(writes.map((write) => write.name));
  let deleted = 0;
  let freed = -writes.reduce((sum, write) => sum + policySize(write.document), 0);
  for (const { contents, mustHold } of sources) {
    const size = policySize(contents.document);
    // Rewritten in place: the old document is gone with the write.
    if (written.has(contents.policy.name)) freed += size;
    if (written.has(contents.policy.name) || !mustHold.every((id) => covered.has(id))) continue;
    if (!(await unchanged(ctx, contents))) continue;
    if (await deletePolicy(ctx, contents.policy.name)) {
      deleted++;
      freed += size;
    }
  }
  return { covered, deleted, freed };
}

// Every policy this taskaccess writes is written once and never changes; a taskaccess from before
// the reserve (role-reserve.ts) rewrote its own single policy in place to fold others into it. So
// a single is deleted only if it still says what was read.
async function unchanged(ctx: TidyContext, contents: PolicyContents): Promise<boolean> {
  if (contents.policy.kind !== "single") return true;
  return (await readPolicy(ctx, contents.policy.name)) === contents.document;
}
