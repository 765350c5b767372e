// A little room kept free on a role for the moment it is full. When many runs end at once their
// own denies can fill the role to the last character, and a shard that folds them needs room to be
// written before it frees any: the reserve, a policy that denies no one, is given up for it, then
// put back once there is room again. Every other policy of ours is written once and never
// rewritten, so no deletion can ever race with a rewrite.

import { SESSION_TAG_KEY } from "./revoke-policy.js";
import { deletePolicy, putPolicy, type TidyContext } from "./role-policies.js";

/** Not a name taskaccess parses as a revoke policy (those have an expiry after the prefix). */
export const RESERVE_NAME = "taskaccess-reserve";
/** Enough for a shard of 16 sessions, which frees about 2,400 characters once written. */
export const RESERVE_CHARACTERS = 400;
/** Put the reserve back only when this much more is free, so it never takes a run's room. */
const RESTORE_HEADROOM = 400;

// A Deny for the session id "-", which no session has (ids are base32), padded to size.
export function reserveDocument(): string {
  const document = (sid: string) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: sid,
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { StringEquals: { [SESSION_TAG_KEY]: "-" } },
        },
      ],
    });
  const base = document("TaskaccessReserve").length;
  return document(`TaskaccessReserve${"R".repeat(Math.max(0, RESERVE_CHARACTERS - base))}`);
}

// Gives the reserve up; true when this call deleted it (the room is now free for a shard).
export async function releaseReserve(ctx: TidyContext, names: readonly string[]): Promise<boolean> {
  return names.includes(RESERVE_NAME) && deletePolicy(ctx, RESERVE_NAME);
}

// Puts the reserve back when it is missing and `room` (the estimated free characters) allows.
export async function restoreReserve(ctx: TidyContext, present: boolean, room: number): Promise<void> {
  if (present || room < RESERVE_CHARACTERS + RESTORE_HEADROOM) return;
  await putPolicy(ctx, RESERVE_NAME, reserveDocument()).catch(() => false);
}

// Puts the reserve in place if the role has none yet (IAM refuses it if the role is full, which is
// fine: a later compaction puts it back). One call, and only while it is missing.
export async function ensureReserve(ctx: TidyContext, names: readonly string[]): Promise<void> {
  if (!names.includes(RESERVE_NAME)) await putPolicy(ctx, RESERVE_NAME, reserveDocument()).catch(() => false);
}
