import type { ArmInput, Clock, RevokeInput, RevokeResult, Revoker } from "../session/ports.js";
import { armRevocation, tidyAfterArm } from "./arm-revocation.js";
import { createArmTracker, keyOf } from "./arm-tracker.js";
import { describeAwsError } from "./describe-aws-error.js";
import { iamRegionFor } from "./iam-partition.js";
import { revokeNow } from "./revoke-now.js";
import { IAM_PERMISSIONS_HINT, type RevokerContext, type Serialize } from "./revoker-context.js";
import { isExpired, listRevokePolicies } from "./role-policies.js";
import type { AwsClientOptions } from "./sts-issuer.js";

type IamModule = typeof import("@aws-sdk/client-iam");
type IamClient = import("@aws-sdk/client-iam").IAMClient;

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
}

// Revokes a session with IAM: an inline Deny on the role for exactly that session's aws:userid,
// put at once and retried with backoff; pre-armed beforehand (arm) with a deny that starts at the
// task's deadline by itself; expired policies are cleaned up on the way, and many sessions are
// compacted into tag-based policies so the role's inline-policy limit holds.
export function createIamRevoker(options: IamRevokerOptions): Revoker {
  const context = contextFactory(options);
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
  return { revoke, arm, deleteExpired };
}

// One IAM client per partition (the role ARN's), loaded on first use, and a context per role on top.
function contextFactory(options: IamRevokerOptions): (roleArn: string) => Promise<RevokerContext> {
  const clients = new Map<string, Promise<{ iam: IamModule; client: IamClient }>>();
  const load = (region: string) => {
    let loaded = clients.get(region);
    if (!loaded) {
      loaded = (async () => {
        const iam = await import("@aws-sdk/client-iam");
        const client = new iam.IAMClient({
          region,
          ...(options.profile ? { profile: options.profile } : {}),
          ...(options.endpoint ? { endpoint: options.endpoint } : {}),
          ...(options.credentials ? { credentials: options.credentials } : {}),
          maxAttempts: options.maxAttempts ?? 3,
        });
        return { iam, client };
      })();
      clients.set(region, loaded);
    }
    return loaded;
  };
  return async (roleArn) => ({
    ...(await load(iamRegionFor(roleArn))),
    roleArn,
    roleName: roleArn.slice(roleArn.lastIndexOf("/") + 1),
    clock: options.clock,
    random: options.random ?? Math.random,
    backoffMs: options.backoffMs ?? 250,
    serialize: options.serialize,
  });
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
      AccessDenied: IAM_PERMISSIONS_HINT,
    });
  }
}
