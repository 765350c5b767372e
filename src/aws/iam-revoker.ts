import type {
  ArmInput,
  Clock,
  RevocationReadiness,
  RevokeInput,
  RevokeResult,
  Revoker,
} from "../session/ports.js";
import { armRevocation, tidyAfterArm } from "./arm-revocation.js";
import { createArmTracker, keyOf } from "./arm-tracker.js";
import { describeAwsError } from "./describe-aws-error.js";
import { prepareRevocation } from "./prepare-revocation.js";
import { revokeNow } from "./revoke-now.js";
import { revokerContextFactory } from "./revoker-clients.js";
import type { RevokerContext, Serialize } from "./revoker-context.js";
import { isExpired, listRevokePolicies } from "./role-policies.js";
import type { AwsClientOptions } from "./sts-issuer.js";

export interface IamRevokerOptions extends AwsClientOptions {
  clock: Clock;
  random?: () => number;
  /** Base delay between attempts; doubled each time, with full jitter. */
  backoffMs?: number;
  /**
   * Orders compactions of a role between runs on this machine (the CLI passes createRoleLock, a
   * file lock). It may reject without running fn when the lock is busy: compaction is then
   * skipped, or done without the lock. A session's own deny never goes through it.
   */
  serialize?: Serialize;
  /** STS settings for assuming a revoking role (default: these options); `endpoint` is IAM's. */
  sts?: AwsClientOptions | undefined;
  /** The base identity's account (default: sts:GetCallerIdentity, once). */
  callerAccount?: (() => Promise<string>) | undefined;
  /** The revoker role the task file names for a task role, if any. */
  revokerRoleFor?: ((roleArn: string) => string | undefined) | undefined;
  /** Names this process's revoking sessions; starts "taskaccess-revoker-", never a task session's "ta-". */
  revokerSessionName?: string | undefined;
  /** Passed on to AssumeRole of a revoking session, for trust policies that ask for one. */
  sourceIdentity?: string | undefined;
  /**
   * The ExternalId a task role's trust policy asks for (the task's `externalId`): sent when a
   * session of the task role itself writes the denies (a role in another account, no `revoker`).
   */
  externalIdFor?: ((roleArn: string) => string | undefined) | undefined;
}

/** The revoker's own parts beyond the Revoker port: the IAM context of a role, for readers of its policies. */
export interface IamRevoker extends Revoker {
  contextFor: (roleArn: string) => Promise<RevokerContext>;
}

// Revokes a session with IAM: an inline Deny on the role for exactly that session's aws:userid,
// put at once and retried with backoff; pre-armed beforehand (arm) with a deny that starts at the
// task's deadline by itself; expired policies are cleaned up on the way, and many sessions are
// compacted into tag-based policies so the role's inline-policy limit holds. The deny is written
// by an identity of the role's own account (src/aws/revocation-path.ts).
export function createIamRevoker(options: IamRevokerOptions): IamRevoker {
  const context = revokerContextFactory(options);
  const tracker = createArmTracker();
  // arm() returns once the armed deny is on the role; the compaction after it runs on, tracked,
  // so that revoke() of the same session can wait for it once its own deny is in place.
  const arm = async (input: ArmInput): Promise<RevokeResult> => {
    const key = keyOf(input);
    const rc = await context(input.roleArn);
    const armed = armRevocation(rc, input, () => tracker.isRevoking(key));
    tracker.track(
      key,
      armed.then((outcome) => (outcome.wroteSingle ? tidyAfterArm(rc, input.sessionName) : undefined)),
    );
    return (await armed).result;
  };
  const revoke = async (input: RevokeInput): Promise<RevokeResult> => {
    const key = keyOf(input);
    tracker.revoking(key);
    return revokeNow(await context(input.roleArn), input, () => tracker.settle(key));
  };
  const deleteExpired = async (roleArn: string): Promise<string[]> =>
    deleteExpiredPolicies(await context(roleArn));
  const prepare = async (roleArn: string): Promise<RevocationReadiness> =>
    prepareRevocation(await context(roleArn));
  return { revoke, arm, deleteExpired, prepare, contextFor: context };
}
// gc: deletes the role's revoke and armed policies whose sessions have all expired (an armed
// policy's name carries the latest expiry of its sessions, so a live session's is kept). A refusal
// surfaces, since gc reports what it deleted.
async function deleteExpiredPolicies(rc: RevokerContext): Promise<string[]> {
  try {
    const now = rc.clock.now();
    const listed = await listRevokePolicies(rc.iam, rc.client, rc.roleName);
    const expired = listed.filter((policy) => isExpired(policy, now));
    for (const policy of expired) {
      await rc.client.send(
        new rc.iam.DeleteRolePolicyCommand({ RoleName: rc.roleName, PolicyName: policy.name }),
      );
    }
    return expired.map((policy) => policy.name);
  } catch (error) {
    throw describeAwsError(`Could not clean up revoke policies on ${rc.roleArn}`, error, {
      AccessDenied: rc.permissionsHint,
    });
  }
}
