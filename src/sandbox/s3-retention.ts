import type { SandboxResponse } from "./request.js";
import { authorizeS3, bucketOf, type S3Call } from "./s3-call.js";
import { malformedXml, missingObjectLock, S3Error } from "./s3-errors.js";
import { lookupVersion } from "./s3-lookup.js";
import {
  activeRetention,
  futureDate,
  isRetentionMode,
  requireOverride,
  retentionConditionKeys,
} from "./s3-object-lock.js";
import { iso, s3Empty, s3Xml } from "./s3-responses.js";
import { childText, parseXmlBody } from "./s3-xml-input.js";
import type { ObjectRetention } from "./state.js";

interface RetentionInput {
  mode?: string | undefined;
  until?: string | undefined;
}

// PutObjectRetention (PUT /bucket/key?retention[&versionId=]). Extending a retention is always
// allowed; shortening or removing one that still protects the version, or going from COMPLIANCE to
// GOVERNANCE, is an override (see requireOverride). An empty <Retention/> removes the retention.
export function putObjectRetention(call: S3Call): SandboxResponse {
  const { request, clock } = call.ctx;
  const now = clock.now();
  const input = parseRetention(request.body);
  authorizeS3(call, "s3:PutObjectRetention", retentionConditionKeys(input.mode, input.until, now));
  const bucket = bucketOf(call);
  if (!bucket.objectLock) throw missingObjectLock("Retention");
  const version = lookupVersion(bucket, call.key, request.query.versionId, "PUT");
  const next = toRetention(input, now);
  const current = activeRetention(version, now);
  if (current && weakens(current, next)) requireOverride(call, current);
  version.retention = next;
  return s3Empty(200);
}

// GetObjectRetention (GET /bucket/key?retention[&versionId=]).
export function getObjectRetention(call: S3Call): SandboxResponse {
  const { request } = call.ctx;
  authorizeS3(call, "s3:GetObjectRetention");
  const bucket = bucketOf(call);
  if (!bucket.objectLock) throw missingObjectLock("Retention");
  const version = lookupVersion(bucket, call.key, request.query.versionId, "GET");
  const retention = version.retention;
  if (!retention) {
    throw new S3Error(
      "NoSuchObjectLockConfiguration",
      404,
      "The specified object does not have a ObjectLock configuration",
    );
  }
  return s3Xml(200, "Retention", { Mode: retention.mode, RetainUntilDate: iso(retention.retainUntil) });
}

// <Retention><Mode/><RetainUntilDate/></Retention>: both or neither (ObjectLockRetention).
function parseRetention(body: Buffer): RetentionInput {
  const root = parseXmlBody(body);
  if (root.name !== "Retention") throw malformedXml();
  const mode = childText(root, "Mode");
  const until = childText(root, "RetainUntilDate");
  if ((mode === undefined) !== (until === undefined)) throw malformedXml();
  if (mode !== undefined && !isRetentionMode(mode)) throw malformedXml();
  return { mode, until };
}

function toRetention(input: RetentionInput, now: number): ObjectRetention | undefined {
  if (!isRetentionMode(input.mode) || input.until === undefined) return undefined;
  return { mode: input.mode, retainUntil: futureDate(input.until, "RetainUntilDate", now) };
}

// Whether a new retention protects less than the current one.
function weakens(current: ObjectRetention, next: ObjectRetention | undefined): boolean {
  if (!next) return true;
  if (next.retainUntil < current.retainUntil) return true;
  return current.mode === "COMPLIANCE" && next.mode === "GOVERNANCE";
}
