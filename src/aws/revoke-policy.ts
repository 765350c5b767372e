// Names and documents of the inline policies taskaccess puts on a role to revoke sessions.
// The expiry is in the name so that clean-up needs only ListRolePolicies, and the session in the
// name so that concurrent runs never write the same policy.

export const REVOKE_PREFIX = "taskaccess-revoke-";
/** IAM policyNameType: at most 128 characters (botocore iam/2010-05-08). */
const MAX_POLICY_NAME = 128;

export interface ParsedRevokeName {
  expiresAt: number;
  compacted: boolean;
  /** The session name (single) or the compacting session's name (compacted). */
  sessionName: string;
}

// taskaccess-revoke-<expiry epoch seconds>-<session name>: one session, denied by aws:userid.
export function singleRevokeName(expiration: Date, sessionName: string): string {
  return `${REVOKE_PREFIX}${Math.ceil(expiration.getTime() / 1000)}-${sessionName}`.slice(0, MAX_POLICY_NAME);
}

// taskaccess-revoke-<latest expiry>-c-<session name>: many sessions, written by one process only.
export function compactedRevokeName(expiration: Date, sessionName: string): string {
  return `${REVOKE_PREFIX}${Math.ceil(expiration.getTime() / 1000)}-c-${sessionName}`.slice(
    0,
    MAX_POLICY_NAME,
  );
}

// Reads the expiry and kind back from a policy name; undefined for policies that are not ours.
export function parseRevokeName(name: string): ParsedRevokeName | undefined {
  const match = /^taskaccess-revoke-(\d{9,11})-(c-)?(.+)$/.exec(name);
  if (!match) return undefined;
  return {
    expiresAt: Number(match[1]) * 1000,
    compacted: match[2] !== undefined,
    sessionName: match[3] ?? "",
  };
}

// Denies everything to exactly one session: its aws:userid is RoleId:RoleSessionName. The Sid is
// there on purpose: it makes a single policy larger than the same policy rewritten to hold two
// sessions by tag, so that folding another session into it never needs free room on the role.
export function singleRevokeDocument(assumedRoleId: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "TaskaccessRevokeOneSession",
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: { StringEquals: { "aws:userid": assumedRoleId } },
      },
    ],
  });
}

/** The session tag every taskaccess session carries; its value is the session id. */
export const SESSION_TAG = "taskaccess:session";

// Denies everything to many sessions by their taskaccess:session tag: about 15 characters a
// session instead of a whole policy, so hundreds of ended sessions fit IAM's 10,240 characters.
export function compactedRevokeDocument(sessionIds: readonly string[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Deny",
        Action: "*",
        Resource: "*",
        Condition: { StringEquals: { [`aws:PrincipalTag/${SESSION_TAG}`]: [...new Set(sessionIds)].sort() } },
      },
    ],
  });
}

// The session ids a compacted policy denies.
export function compactedSessionIds(document: string): string[] {
  try {
    const parsed = JSON.parse(document) as {
      Statement?: Array<{ Condition?: { StringEquals?: Record<string, string | string[]> } }>;
    };
    const values = parsed.Statement?.[0]?.Condition?.StringEquals?.[`aws:PrincipalTag/${SESSION_TAG}`];
    return values === undefined ? [] : Array.isArray(values) ? values : [values];
  } catch {
    return [];
  }
}

// The session id at the end of a RoleSessionName ta-<task>-<id>.
export function sessionIdOf(sessionName: string): string {
  return sessionName.slice(sessionName.lastIndexOf("-") + 1);
}
