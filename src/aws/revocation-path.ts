// Who writes a session's deny. IAM acts in the account of the identity that calls it: a
// PutRolePolicy by an identity of account A names a role of account A, whatever account the role
// ARN says. A role in another account must therefore be revoked by an identity of that account.

import { UsageError } from "../errors.js";
import { splitArn } from "../iam/arn.js";

/**
 * caller: the base identity, the role being in its account. revoker-role: a role the task file
 * names (`revoker`), in the task role's account. role-session: a second session of the task role
 * itself, with a session policy that allows only the revocation calls on that role.
 */
export type RevocationVia = "caller" | "role-session" | "revoker-role";

export interface RevocationPath {
  via: RevocationVia;
  /** The role assumed to revoke (the revoker role, or the task role itself); none for caller. */
  assumeRoleArn?: string | undefined;
}

/** The IAM calls revocation makes on a task role (src/aws/revoke-now.ts, compaction, gc, verify). */
export const REVOCATION_ACTIONS = [
  "iam:GetRole",
  "iam:ListRolePolicies",
  "iam:GetRolePolicy",
  "iam:PutRolePolicy",
  "iam:DeleteRolePolicy",
] as const;

// The path for a role: the task's revoker role when it names one, the caller when the role is in
// the caller's account, else a session of the role itself.
export function chooseRevocationPath(
  roleArn: string,
  callerAccount: string,
  revokerRole?: string | undefined,
): RevocationPath {
  if (revokerRole !== undefined) {
    checkRevokerAccount(roleArn, revokerRole);
    return { via: "revoker-role", assumeRoleArn: revokerRole };
  }
  if (splitArn(roleArn)?.account === callerAccount) return { via: "caller" };
  return { via: "role-session", assumeRoleArn: roleArn };
}

// A revoker role in another account than the task role would write its denies on a role of its
// own account: refused, as the task file's schema refuses it too.
export function checkRevokerAccount(roleArn: string, revokerRole: string): void {
  if (sameAccount(roleArn, revokerRole)) return;
  throw new UsageError(
    `the revoker role ${revokerRole} is not in the account of ${roleArn}`,
    "IAM acts in the account of the identity that calls it: name a revoker role in the task role's account",
  );
}

// True when two IAM ARNs are of one account in one partition (where a revoker role must be).
export function sameAccount(first: string, second: string): boolean {
  const a = splitArn(first);
  const b = splitArn(second);
  return a !== undefined && b !== undefined && a.account === b.account && a.partition === b.partition;
}

// The session policy of a revoking session: the revocation calls on the task role, nothing else,
// so that the session that can write the deny can do nothing else even with a wide role.
export function revokerSessionPolicy(roleArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "TaskaccessRevoke", Effect: "Allow", Action: [...REVOCATION_ACTIONS], Resource: roleArn },
    ],
  });
}

// The identity policy the revoking identity needs, to show in a hint.
export function revocationPolicyHint(roleArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: [...REVOCATION_ACTIONS], Resource: roleArn }],
  });
}
