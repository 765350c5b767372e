// `revoke --verify` reads each role's inline policies, all of them (a deny is recognised by what it
// says, not by its name), through the revoker's IAM client for that role.

import { TaskAccessError } from "../errors.js";
import type { InlinePolicy, RolePolicyReader } from "../session/verify-revocations.js";
import { describeAwsError } from "./describe-aws-error.js";
import type { RevokerContext } from "./revoker-context.js";
import { listRolePolicyNames } from "./role-policies.js";

/** GetRolePolicy calls at a time: a role may hold dozens of policies, and IAM throttles bursts. */
const READ_CONCURRENCY = 8;

/** What reading a role's policies needs of IAM, whichever identity revokes on the role. */
export const READ_PERMISSIONS_HINT =
  "the identity that revokes this role's sessions needs iam:ListRolePolicies and iam:GetRolePolicy on it";

// The RolePolicyReader over the AWS SDK: every inline policy of the role, decoded. Any failure is
// one error naming the role, so that the check can report that role's sessions as unknown.
export function createRolePolicyReader(
  contextFor: (roleArn: string) => Promise<RevokerContext>,
): RolePolicyReader {
  return {
    inlinePolicies: async (roleArn) => {
      try {
        return await readInlinePolicies(await contextFor(roleArn));
      } catch (error) {
        throw readError(roleArn, error);
      }
    },
  };
}

// One message naming the role: an SDK error described once, or the revoker's own error (no
// revoking session, say) prefixed, keeping its exit code and hint.
function readError(roleArn: string, error: unknown): TaskAccessError {
  const what = `Could not read the inline policies of ${roleArn}`;
  if (!(error instanceof TaskAccessError)) {
    return describeAwsError(what, error, {
      AccessDenied: READ_PERMISSIONS_HINT,
      AccessDeniedException: READ_PERMISSIONS_HINT,
    });
  }
  return new TaskAccessError(`${what}: ${error.message}`, {
    exitCode: error.exitCode,
    hint: error.hint,
    cause: error,
  });
}

// ListRolePolicies (every page), then GetRolePolicy for each, a few at a time, in name order.
async function readInlinePolicies(rc: RevokerContext): Promise<InlinePolicy[]> {
  const names = await listRolePolicyNames(rc.iam, rc.client, rc.roleName);
  const documents: Array<string | undefined> = new Array(names.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < names.length; index = next++) {
      documents[index] = await readDocument(rc, names[index] as string);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, names.length) }, worker));
  return names.flatMap((name, index) => {
    const document = documents[index];
    return document === undefined ? [] : [{ name, document }];
  });
}

// One policy's document, URL-decoded as IAM returns it; undefined when it was deleted since the
// listing. Unlike role-policies.ts's readPolicy, any other error is thrown: a policy that could
// not be read might be the very deny the check looks for.
async function readDocument(rc: RevokerContext, name: string): Promise<string | undefined> {
  try {
    const result = await rc.client.send(
      new rc.iam.GetRolePolicyCommand({ RoleName: rc.roleName, PolicyName: name }),
    );
    return decodeURIComponent(result.PolicyDocument ?? "");
  } catch (error) {
    const name = (error as { name?: string } | null)?.name;
    if (name === "NoSuchEntityException" || name === "NoSuchEntity") return undefined;
    throw error;
  }
}
