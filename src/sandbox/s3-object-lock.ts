import type { ContextValue } from "../iam/index.js";
import { authorizeS3, headerIsTrue, type S3Call } from "./s3-call.js";
import { invalidArgument, missingObjectLock, notEmulated, protectedByObjectLock } from "./s3-errors.js";
import { iso } from "./s3-responses.js";
import type { Bucket, DefaultRetention, ObjectRetention, ObjectVersion, RetentionMode } from "./state.js";

const DAY_MS = 86_400_000;

/** PutObject's ObjectLockMode header (botocore s3 model, PutObjectRequest), also on GetObject's answer. */
export const LOCK_MODE_HEADER = "x-amz-object-lock-mode";
/** PutObject's ObjectLockRetainUntilDate header, also on GetObject's answer. */
export const LOCK_UNTIL_HEADER = "x-amz-object-lock-retain-until-date";
/** PutObject's ObjectLockLegalHoldStatus header (legal holds are not emulated). */
export const LEGAL_HOLD_HEADER = "x-amz-object-lock-legal-hold";
/** DeleteObject's and PutObjectRetention's BypassGovernanceRetention header. */
export const BYPASS_HEADER = "x-amz-bypass-governance-retention";

// Whether a string is one of the retention modes (ObjectLockRetentionMode: GOVERNANCE | COMPLIANCE).
export function isRetentionMode(value: string | undefined): value is RetentionMode {
  return value === "GOVERNANCE" || value === "COMPLIANCE";
}

// Whether a PutObject sets a retention of its own (then it also needs s3:PutObjectRetention: "set the
// bucket defaults and deny users permission to configure object retention settings. Amazon S3 then …
// rejects any request to put an object that includes a retention mode and setting", Amazon S3 User
// Guide, "S3 Object Lock overview").
export function putSetsRetention(call: S3Call): boolean {
  const { headers } = call.ctx.request;
  return headers[LOCK_MODE_HEADER] !== undefined || headers[LOCK_UNTIL_HEADER] !== undefined;
}

// The Object Lock condition keys of a request that sets a retention (Service Authorization Reference,
// Amazon S3: s3:object-lock-mode, s3:object-lock-retain-until-date, s3:object-lock-remaining-retention-days).
export function retentionConditionKeys(
  mode: string | undefined,
  until: string | undefined,
  now: number,
): Record<string, ContextValue> {
  const keys: Record<string, ContextValue> = {};
  if (mode !== undefined) keys["s3:object-lock-mode"] = mode;
  if (until !== undefined) {
    keys["s3:object-lock-retain-until-date"] = until;
    const time = Date.parse(until);
    if (Number.isFinite(time)) {
      keys["s3:object-lock-remaining-retention-days"] = String(Math.max(0, Math.ceil((time - now) / DAY_MS)));
    }
  }
  return keys;
}

// The retention a new object version gets: the one PutObject's headers give, else the bucket's
// default, else none. S3's checks and texts come from the LocalStack snapshots (s3-errors.ts).
export function retentionForWrite(call: S3Call, bucket: Bucket, now: number): ObjectRetention | undefined {
  const { headers } = call.ctx.request;
  const mode = headers[LOCK_MODE_HEADER];
  const until = headers[LOCK_UNTIL_HEADER];
  const legalHold = headers[LEGAL_HOLD_HEADER];
  const lock = bucket.objectLock;
  if (!lock) {
    if (mode !== undefined || until !== undefined || legalHold !== undefined)
      throw missingObjectLock("PutObject");
    return undefined;
  }
  if (legalHold !== undefined) throw notEmulated(`Object Lock legal hold (${LEGAL_HOLD_HEADER})`);
  if (mode === undefined && until === undefined) {
    return lock.defaultRetention ? defaultRetentionFrom(lock.defaultRetention, now) : undefined;
  }
  const both = `${LOCK_UNTIL_HEADER} and ${LOCK_MODE_HEADER} must both be supplied`;
  if (until === undefined) throw invalidArgument(both, LOCK_UNTIL_HEADER);
  if (mode === undefined) throw invalidArgument(both, LOCK_MODE_HEADER);
  if (!isRetentionMode(mode)) throw invalidArgument("Unknown wormMode directive.", LOCK_MODE_HEADER, mode);
  return { mode, retainUntil: futureDate(until, LOCK_UNTIL_HEADER, now) };
}

// A retain-until date that must be a timestamp in the future ("The retain until date must be in the
// future!"; an unreadable date is the sandbox's own wording).
export function futureDate(text: string, argument: string, now: number): number {
  const time = Date.parse(text);
  if (!Number.isFinite(time))
    throw invalidArgument(`${argument} is not an ISO 8601 timestamp`, argument, text);
  if (time <= now) throw invalidArgument("The retain until date must be in the future!", argument, text);
  return time;
}

// A bucket default applied at write time: the version's creation time plus Days, or plus Years
// (calendar years, UTC). "Object Lock calculates a Retain Until Date … by adding the default retention
// period to the creation timestamp for the object version" (Amazon S3 User Guide, "S3 Object Lock
// overview", Default retention settings).
export function defaultRetentionFrom(rule: DefaultRetention, now: number): ObjectRetention {
  if (rule.days !== undefined) return { mode: rule.mode, retainUntil: now + rule.days * DAY_MS };
  const until = new Date(now);
  until.setUTCFullYear(until.getUTCFullYear() + (rule.years ?? 0));
  return { mode: rule.mode, retainUntil: until.getTime() };
}

// Whether a version's retention still protects it (delete markers are never protected: "Delete
// markers are not WORM-protected", Amazon S3 User Guide, "Managing Object Lock").
export function activeRetention(version: ObjectVersion, now: number): ObjectRetention | undefined {
  if ("deleteMarker" in version) return undefined;
  const retention = version.retention;
  return retention && retention.retainUntil > now ? retention : undefined;
}

// Lets an override of a retention through (deleting the version, shortening or removing the
// retention): never under COMPLIANCE; under GOVERNANCE only with x-amz-bypass-governance-retention:
// true and s3:BypassGovernanceRetention (Amazon S3 User Guide, "S3 Object Lock overview", Retention
// modes). Otherwise S3's AccessDenied "Access Denied because object protected by object lock.".
export function requireOverride(call: S3Call, retention: ObjectRetention): void {
  if (retention.mode === "COMPLIANCE" || !headerIsTrue(call, BYPASS_HEADER)) throw protectedByObjectLock();
  authorizeS3(call, "s3:BypassGovernanceRetention");
}

// The Object Lock headers of GetObject and HeadObject (HeadObjectOutput: ObjectLockMode,
// ObjectLockRetainUntilDate, an iso8601 timestamp in the botocore model).
export function retentionHeaders(retention: ObjectRetention | undefined): Record<string, string> {
  if (!retention) return {};
  return { [LOCK_MODE_HEADER]: retention.mode, [LOCK_UNTIL_HEADER]: iso(retention.retainUntil) };
}
