// A session's revocation: its own unconditional deny goes on the role first, without waiting on
// any lock; only then is the role tidied (its armed deny dropped, policies compacted), and that
// tidying waits a short while for the role's lock, or is skipped.

import { setTimeout as sleep } from "node:timers/promises";
import type { RevokeInput, RevokeResult } from "../session/ports.js";
import { RevocationError } from "../session/revocation-error.js";
import { describeAwsError } from "./describe-aws-error.js";
import { armedSingleName, singleRevokeDocument, singleRevokeName } from "./revoke-policy.js";
import {
  assumedRoleIdOf,
  backoffDelay,
  compactUnderLock,
  fullRoleLockUse,
  isRetryable,
  type RevokerContext,
  TIDY_LOCK_USE,
  tidyContext,
} from "./revoker-context.js";
import { deletePolicy, isLimitExceeded } from "./role-policies.js";

/**
 * Attempts at putting the revoke policy before the revocation is recorded as failed: enough for
 * 50 runs ending at once on a full role to take turns compacting (with jittered backoff).
 */
export const REVOKE_ATTEMPTS = 8;

interface Placed {
  policyName: string;
  attempts: number;
  note: string | undefined;
  /** True when the deny is a shard by tag because the role had no room for a single policy. */
  viaShard: boolean;
}

// Revokes one session now. `settleArm` waits (bounded) for an arm of the same session still in
// flight, so that its armed policy cannot be written after it has been deleted here.
export async function revokeNow(
  rc: RevokerContext,
  input: RevokeInput,
  settleArm: () => Promise<void>,
): Promise<RevokeResult> {
  const placed = await placeOwnDeny(rc, input);
  await settleArm();
  // The armed deny covers the same session, later: with the deny in place it only takes room.
  await deletePolicy(tidyContext(rc), armedSingleName(input.expiration, input.sessionName));
  const notes = [placed.note];
  if (!placed.viaShard) notes.push(...(await tidyAfter(rc, input.sessionName)));
  const note = notes.filter(Boolean).join("; ") || undefined;
  return {
    policyName: placed.policyName,
    method: "inline-deny",
    attempts: placed.attempts,
    ...(note ? { note } : {}),
  };
}

// PutRolePolicy of this session's deny, retried with backoff. Once the role is found full, each
// further attempt is a compaction that must fold this session into the shard it writes (15
// characters for this session instead of a policy of its own, which would only take the room the
// compaction needs): under the lock if it comes soon, and from the second attempt on without it,
// so that a lock held by someone else never keeps a deny off for long.
async function placeOwnDeny(rc: RevokerContext, input: RevokeInput): Promise<Placed> {
  const policyName = singleRevokeName(input.expiration, input.sessionName);
  let lastError: unknown;
  let attempts = 0;
  let document: string | undefined;
  let full = false;
  for (let attempt = 1; attempt <= REVOKE_ATTEMPTS; attempt++) {
    attempts = attempt;
    try {
      if (full) {
        const placed = await foldOwnIntoShard(rc, input, attempt);
        if (placed) return placed;
      } else {
        document ??= singleRevokeDocument(await assumedRoleIdOf(rc, input));
        const put = { RoleName: rc.roleName, PolicyName: policyName, PolicyDocument: document };
        await rc.client.send(new rc.iam.PutRolePolicyCommand(put));
        return { policyName, attempts: attempt, note: undefined, viaShard: false };
      }
    } catch (error) {
      lastError = error;
      if (isLimitExceeded(error)) {
        full = true;
        const placed = await foldOwnIntoShard(rc, input, attempt).catch((compactError: unknown) => {
          lastError = compactError;
          return undefined;
        });
        if (placed) return placed;
      } else if (!isRetryable(error)) {
        break;
      }
    }
    await sleep(backoffDelay(rc, attempt));
  }
  throw new RevocationError(
    describeAwsError(`Could not revoke session ${input.sessionName} on ${input.roleArn}`, lastError, {
      AccessDenied: rc.permissionsHint,
      LimitExceeded:
        "the role's inline policies are full even after compaction: delete inline policies that are not taskaccess's, or run `taskaccess gc`, then `taskaccess revoke --pending`",
    }),
    attempts,
  );
}

// A compaction whose shard holds this session; undefined when no shard could be written (yet).
async function foldOwnIntoShard(
  rc: RevokerContext,
  input: RevokeInput,
  attempt: number,
): Promise<Placed | undefined> {
  const own = { id: input.sessionTag, expiresAt: input.expiration.getTime() };
  const ownAlone = attempt >= REVOKE_ATTEMPTS - 1;
  const guarded = await compactUnderLock(rc, input.sessionName, { own, ownAlone }, fullRoleLockUse(attempt));
  const shard = guarded.ran ? guarded.report.shard : undefined;
  if (!guarded.ran || !shard?.covered.has(own.id)) return undefined;
  const note = `role inline-policy space full; revoked by session tag: ${guarded.report.note ?? shard.policy}`;
  return { policyName: shard.policy, attempts: attempt, note, viaShard: true };
}

// Leaves the role with room: compaction, which waits a short while for the role's lock and is
// skipped if it stays busy (another run is compacting).
async function tidyAfter(rc: RevokerContext, sessionName: string): Promise<string[]> {
  const guarded = await compactUnderLock(rc, sessionName, {}, TIDY_LOCK_USE).catch(
    (error: unknown) => `clean-up skipped: ${error instanceof Error ? error.message : String(error)}`,
  );
  if (typeof guarded === "string") return [guarded];
  if (!guarded.ran) return ["compaction left to another run: the role's lock is busy"];
  return guarded.report.note ? [guarded.report.note] : [];
}
