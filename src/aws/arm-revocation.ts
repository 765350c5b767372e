// Pre-armed revocation: right after AssumeRole the session's deny goes on the role with a start
// time, its deadline, so that a taskaccess killed before it can revoke (SIGKILL, OOM, power loss)
// still ends the session then, not at STS expiry. revoke() later puts the unconditional deny.

import { setTimeout as sleep } from "node:timers/promises";
import type { ArmInput, RevokeResult } from "../session/ports.js";
import { RevocationError } from "../session/revocation-error.js";
import { armedSingleDocument } from "./armed-policy.js";
import { describeAwsError } from "./describe-aws-error.js";
import { armedSingleName } from "./revoke-policy.js";
import {
  armLockUse,
  assumedRoleIdOf,
  backoffDelay,
  compactUnderLock,
  isRetryable,
  type RevokerContext,
  TIDY_LOCK_USE,
} from "./revoker-context.js";
import { isLimitExceeded } from "./role-policies.js";

/** Attempts at arming: it runs beside the command, and revoke() at the end does not depend on it. */
export const ARM_ATTEMPTS = 4;

export interface Armed {
  result: RevokeResult;
  /** True when the session's own armed policy was written (and the role may want compacting). */
  wroteSingle: boolean;
}

// Puts the armed deny of one session; `cancelled` turns true once revoke() has started for it,
// after which arming is pointless (and its write would only take room).
export async function armRevocation(
  rc: RevokerContext,
  input: ArmInput,
  cancelled: () => boolean,
): Promise<Armed> {
  const policyName = armedSingleName(input.expiration, input.sessionName);
  let lastError: unknown;
  let document: string | undefined;
  let attempts = 0;
  for (let attempt = 1; attempt <= ARM_ATTEMPTS; attempt++) {
    if (cancelled()) return { result: notArmed(policyName, attempts), wroteSingle: false };
    attempts = attempt;
    try {
      document ??= armedSingleDocument(await assumedRoleIdOf(rc, input), input.activateAt.getTime());
      const put = { RoleName: rc.roleName, PolicyName: policyName, PolicyDocument: document };
      await rc.client.send(new rc.iam.PutRolePolicyCommand(put));
      return { result: { policyName, method: "inline-deny", attempts: attempt }, wroteSingle: true };
    } catch (error) {
      lastError = error;
      if (isLimitExceeded(error)) {
        // No room: compaction folds armed and ended sessions' policies, then the put is retried.
        // Arming never takes the role's reserve for itself: that is for revocations.
        await compactUnderLock(rc, input.sessionName, { force: true }, armLockUse(attempt)).catch(() => {});
      } else if (!isRetryable(error)) {
        break;
      }
      await sleep(backoffDelay(rc, attempt));
    }
  }
  throw new RevocationError(
    describeAwsError(
      `Could not arm the revocation of session ${input.sessionName} on ${input.roleArn}`,
      lastError,
      {
        AccessDenied: rc.permissionsHint,
        LimitExceeded: "the role's inline policies are full: the session will be revoked when the run ends",
      },
    ),
    attempts,
  );
}

function notArmed(policyName: string, attempts: number): RevokeResult {
  return { policyName, method: "inline-deny", attempts, note: "not armed: the session is being revoked" };
}

// Many live sessions' armed policies would fill the role: compaction folds them into buckets.
// Runs after arm() has returned, so nobody waits on it but a revoke() of the same session, and
// that only once its own deny is in place.
export async function tidyAfterArm(rc: RevokerContext, sessionName: string): Promise<void> {
  await compactUnderLock(rc, sessionName, {}, TIDY_LOCK_USE).catch(() => undefined);
}
