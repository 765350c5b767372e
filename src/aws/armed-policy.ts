// Documents of pre-armed revocation: the same Deny as a revocation, active only once the
// request's aws:CurrentTime is after a deadline. Condition operators in one Condition block are
// ANDed, values of one key ORed (IAM User Guide, "Creating a condition with multiple keys or
// values": https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html).
// DateGreaterThan compares aws:CurrentTime with an ISO 8601 value (IAM User Guide, "Condition
// operators", Date condition operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date;
// aws:CurrentTime: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-currenttime).
// Date operators take no policy variables (IAM User Guide, "AWS: Allows access based on date and
// time"), so a deadline cannot come from a session tag: each deadline is written out.

import { denyAllDocument, SESSION_TAG_KEY } from "./revoke-policy.js";

const TIME_KEY = "aws:CurrentTime";

// ISO 8601 to the second, as IAM's examples write it; a time with milliseconds is rounded UP, so
// a deny never starts before the deadline it stands for.
export function iamTime(epochMs: number): string {
  return new Date(Math.ceil(epochMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// One session, by aws:userid, denied everything once aws:CurrentTime is after its deadline.
export function armedSingleDocument(assumedRoleId: string, activateAt: number): string {
  return armedDocument({ "aws:userid": assumedRoleId }, activateAt);
}

// Sessions by taskaccess:session tag, denied everything once aws:CurrentTime is after `at`.
export function armedBucketDocument(at: number, sessionIds: readonly string[]): string {
  return armedDocument({ [SESSION_TAG_KEY]: [...new Set(sessionIds)].sort() }, at);
}

function armedDocument(who: Record<string, string | string[]>, at: number): string {
  return denyAllDocument({ DateGreaterThan: { [TIME_KEY]: iamTime(at) }, StringEquals: who });
}

/** What an armed document says: when it starts to deny, and whom (tag ids, or one aws:userid). */
export interface ArmedContents {
  activateAt: number;
  sessionIds: string[];
  userId: string | undefined;
}

// Reads an armed document back; undefined for anything that is not exactly what we write, so that
// compaction never folds a policy it does not understand.
export function parseArmedDocument(document: string): ArmedContents | undefined {
  try {
    const parsed = JSON.parse(document) as {
      Statement?: Array<{ Condition?: Record<string, Record<string, string | string[]> | undefined> }>;
    };
    const statements = parsed.Statement ?? [];
    const condition = statements[0]?.Condition;
    if (statements.length !== 1 || condition === undefined || Object.keys(condition).length !== 2) {
      return undefined;
    }
    const time = condition.DateGreaterThan?.[TIME_KEY];
    const activateAt = typeof time === "string" ? Date.parse(time) : Number.NaN;
    const equals = condition.StringEquals ?? {};
    const tags = equals[SESSION_TAG_KEY];
    const userId = equals["aws:userid"];
    if (!Number.isFinite(activateAt) || Object.keys(equals).length !== 1) return undefined;
    if (typeof userId === "string") return { activateAt, sessionIds: [], userId };
    if (tags === undefined) return undefined;
    return { activateAt, sessionIds: Array.isArray(tags) ? tags : [tags], userId: undefined };
  } catch {
    return undefined;
  }
}
