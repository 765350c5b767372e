// Names and documents of the inline policies taskaccess puts on a role to revoke sessions.
// The expiry is in the name so that clean-up needs only ListRolePolicies, and the session in the
// name so that concurrent runs never write the same policy.

/** Policies that deny now, for good: a single session, or a shard of many by session tag. */
export const REVOKE_PREFIX = "taskaccess-revoke-";
/**
 * Policies that deny from a deadline on (pre-armed revocation). A prefix of their own, so that a
 * taskaccess from before arming, sharing the role, never mistakes one for an unconditional deny.
 */
export const ARMED_PREFIX = "taskaccess-armed-";
/** IAM policyNameType: at most 128 characters (botocore iam/2010-05-08). */
const MAX_POLICY_NAME = 128;

/**
 * single: one session by aws:userid, unconditional; shard: many sessions by tag, unconditional;
 * armed-single / armed-bucket: the same, active only after a time (aws:CurrentTime).
 */
export type RevokePolicyKind = "single" | "shard" | "armed-single" | "armed-bucket";

export interface ParsedRevokeName {
  expiresAt: number;
  kind: RevokePolicyKind;
  /** The session name (single kinds) or the writing session's id and a random suffix (shards). */
  sessionName: string;
}

// taskaccess-revoke-<expiry epoch seconds>-<session name>: one session, denied by aws:userid.
export function singleRevokeName(expiration: Date, sessionName: string): string {
  return policyName(REVOKE_PREFIX, expiration, sessionName);
}

// taskaccess-revoke-<latest expiry>-c-<writer>: many sessions, written by one process only.
export function compactedRevokeName(expiration: Date, writer: string): string {
  return policyName(REVOKE_PREFIX, expiration, `c-${writer}`);
}

// taskaccess-armed-<expiry>-<session name>: one session, denied from its deadline on.
export function armedSingleName(expiration: Date, sessionName: string): string {
  return policyName(ARMED_PREFIX, expiration, sessionName);
}

// taskaccess-armed-<latest expiry>-b-<writer>: sessions sharing a deadline bucket, by tag.
export function armedBucketName(expiration: Date, writer: string): string {
  return policyName(ARMED_PREFIX, expiration, `b-${writer}`);
}

function policyName(prefix: string, expiration: Date, rest: string): string {
  return `${prefix}${Math.ceil(expiration.getTime() / 1000)}-${rest}`.slice(0, MAX_POLICY_NAME);
}

// Reads the expiry and kind back from a policy name; undefined for policies that are not ours.
export function parseRevokeName(name: string): ParsedRevokeName | undefined {
  const match = /^taskaccess-(revoke|armed)-(\d{9,11})-(?:(c|b)-)?(.+)$/.exec(name);
  if (!match) return undefined;
  const armed = match[1] === "armed";
  const many = match[3];
  // A name whose marker belongs to the other family (a "b-" shard among unconditional ones) is
  // not one we write: leave it alone rather than guess.
  if (many !== undefined && many !== (armed ? "b" : "c")) return undefined;
  const kind: RevokePolicyKind = armed ? (many ? "armed-bucket" : "armed-single") : many ? "shard" : "single";
  return { expiresAt: Number(match[2]) * 1000, kind, sessionName: match[4] ?? "" };
}

// Every revoke document is this one statement; only the condition says whom, and from when.
export function denyAllDocument(condition: Record<string, Record<string, string | string[]>>): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Deny", Action: "*", Resource: "*", Condition: condition }],
  });
}

// Denies everything to exactly one session: its aws:userid is RoleId:RoleSessionName.
export function singleRevokeDocument(assumedRoleId: string): string {
  return denyAllDocument({ StringEquals: { "aws:userid": assumedRoleId } });
}

/** The session tag every taskaccess session carries; its value is the session id. */
export const SESSION_TAG = "taskaccess:session";
/** The condition key of that tag. */
export const SESSION_TAG_KEY = `aws:PrincipalTag/${SESSION_TAG}`;

// Denies everything to many sessions by their taskaccess:session tag: about 15 characters a
// session instead of a whole policy, so hundreds of ended sessions fit IAM's 10,240 characters.
export function compactedRevokeDocument(sessionIds: readonly string[]): string {
  return denyAllDocument({ StringEquals: { [SESSION_TAG_KEY]: [...new Set(sessionIds)].sort() } });
}

// The session ids a compacted policy denies unconditionally. A statement with any other condition
// (a time, say) is not unconditional, so it yields none: it must never be folded as if it were.
export function compactedSessionIds(document: string): string[] {
  try {
    const parsed = JSON.parse(document) as {
      Statement?: Array<{ Condition?: Record<string, Record<string, string | string[]> | undefined> }>;
    };
    const statements = parsed.Statement ?? [];
    const condition = statements[0]?.Condition;
    if (statements.length !== 1 || condition === undefined || Object.keys(condition).length !== 1) return [];
    const values = condition.StringEquals?.[SESSION_TAG_KEY];
    return values === undefined ? [] : Array.isArray(values) ? values : [values];
  } catch {
    return [];
  }
}

// The session id in a RoleSessionName: ta-<task>-<id>, or ta-<task>-<id>-r<N> for a refresh of
// the same run (src/session/session-id.ts). Every session of a run carries that id as its
// taskaccess:session tag. A refresh suffix is r and at most ten digits, never a 12-character id.
export function sessionIdOf(sessionName: string): string {
  const parts = sessionName.split("-");
  const last = parts.at(-1) ?? "";
  const before = parts.at(-2);
  return /^r\d{1,10}$/.test(last) && before !== undefined && parts.length > 2 ? before : last;
}
