// The check before a run issues anything: can the identity that will revoke reach the role and
// write on it? A role in another account than the caller's, with no path there, used to be
// "revoked" on a role of the same name in the caller's account, or not at all.

import { ExitCode, TaskAccessError } from "../errors.js";
import type { RevocationReadiness } from "../session/ports.js";
import { describeAwsError } from "./describe-aws-error.js";
import { revocationPolicyHint } from "./revocation-path.js";
import type { RevokerContext } from "./revoker-context.js";

/**
 * A policy name taskaccess never writes: GetRolePolicy and DeleteRolePolicy of it answer
 * NoSuchEntity when the identity may read and delete the role's inline policies, AccessDenied when
 * it may not, and change nothing either way (IAM authorizes a request before it looks the policy
 * up). PutRolePolicy has no such probe: a refusal of it shows at the first arm or revoke.
 */
export const PROBE_POLICY_NAME = "taskaccess-probe-never-written";

// Reads the role's policy names and boundary, and asks IAM whether the identity may delete its
// inline policies, all with the identity that will revoke. Throws when any of it is refused.
export async function prepareRevocation(rc: RevokerContext): Promise<RevocationReadiness> {
  const refused = (error: unknown) => refusal(rc, error);
  await rc.client
    .send(new rc.iam.ListRolePoliciesCommand({ RoleName: rc.roleName, MaxItems: 1 }))
    .catch((error: unknown) => {
      throw refused(error);
    });
  const probe = { RoleName: rc.roleName, PolicyName: PROBE_POLICY_NAME };
  const expectNoSuchEntity = (error: unknown) => {
    if (!isNoSuchEntity(error)) throw refused(error);
  };
  await rc.client.send(new rc.iam.GetRolePolicyCommand(probe)).then(() => undefined, expectNoSuchEntity);
  await rc.client.send(new rc.iam.DeleteRolePolicyCommand(probe)).then(() => undefined, expectNoSuchEntity);
  const via = rc.via;
  return {
    via,
    ...(rc.revokerRoleArn ? { revokerRole: rc.revokerRoleArn } : {}),
    boundary: await boundaryOf(rc),
  };
}

// The role's permissions boundary as GetRole reports it; unknown when IAM refuses to say.
async function boundaryOf(rc: RevokerContext): Promise<RevocationReadiness["boundary"]> {
  try {
    const role = await rc.client.send(new rc.iam.GetRoleCommand({ RoleName: rc.roleName }));
    const arn = role.Role?.PermissionsBoundary?.PermissionsBoundaryArn;
    return arn ? { state: "set", arn } : { state: "none" };
  } catch (error) {
    return { state: "unknown", why: (error as { name?: string }).name ?? "error" };
  }
}

function refusal(rc: RevokerContext, error: unknown): TaskAccessError {
  if (error instanceof TaskAccessError) return error;
  const described = describeAwsError(
    `No way to revoke sessions of ${rc.roleArn}, so nothing was issued`,
    error,
    {
      AccessDenied: `${rc.permissionsHint}; the policy to add: ${revocationPolicyHint(rc.roleArn)}`,
      NoSuchEntityException: "the role does not exist in its account; check the role ARN",
    },
  );
  return new TaskAccessError(described.message, {
    exitCode: described.exitCode === ExitCode.unavailable ? ExitCode.unavailable : ExitCode.accessDenied,
    hint: described.hint,
    cause: error,
  });
}

// The SDK names IAM's NoSuchEntity error NoSuchEntityException (botocore/data/iam/2010-05-08).
function isNoSuchEntity(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === "NoSuchEntity" || name === "NoSuchEntityException";
}
