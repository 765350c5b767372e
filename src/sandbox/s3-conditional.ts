import type { ContextValue } from "../iam/index.js";
import type { SandboxRequest } from "./request.js";
import { conditionalHeaderNotImplemented, noSuchKey, preconditionFailed } from "./s3-errors.js";
import { currentVersion, isDeleteMarker } from "./s3-versions.js";
import type { Bucket } from "./state.js";

/** PutObject's conditional-write headers (botocore s3 model, PutObjectRequest IfMatch, IfNoneMatch). */
export interface WritePrecondition {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
}

const NOT_ACCEPTED = "We don't accept the provided value of";

// Reads If-Match and If-None-Match and refuses what S3 refuses before anything else: If-None-Match
// other than "*", If-Match: "*", and both at once (501 NotImplemented, LocalStack snapshots).
export function readPrecondition(request: SandboxRequest): WritePrecondition {
  const ifMatch = request.headers["if-match"];
  const ifNoneMatch = request.headers["if-none-match"];
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    throw conditionalHeaderNotImplemented(
      "If-Match,If-None-Match",
      "Multiple conditional request headers present in the request",
    );
  }
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== "*") {
    throw conditionalHeaderNotImplemented(
      "If-None-Match",
      `${NOT_ACCEPTED} If-None-Match header for this API`,
    );
  }
  if (ifMatch?.trim() === "*") {
    throw conditionalHeaderNotImplemented("If-Match", `${NOT_ACCEPTED} If-Match header for this API`);
  }
  return { ifMatch, ifNoneMatch };
}

// The condition keys s3:if-match and s3:if-none-match (Service Authorization Reference, Amazon S3,
// PutObject), so that a policy can require conditional writes.
export function preconditionKeys(precondition: WritePrecondition): Record<string, ContextValue> {
  const keys: Record<string, ContextValue> = {};
  if (precondition.ifMatch !== undefined) keys["s3:if-match"] = precondition.ifMatch;
  if (precondition.ifNoneMatch !== undefined) keys["s3:if-none-match"] = precondition.ifNoneMatch;
  return keys;
}

// Checks a conditional write against the key's current version, in the same step as the write
// (requests are handled one at a time, so of concurrent conditional writes exactly one wins).
// If-None-Match: * fails with 412 when there is a current object; a delete marker as the current
// version does not count ("If there is no current object version with the same name, or if the
// current object version is a delete marker, then the write operation succeeds", Amazon S3 User
// Guide, "How to prevent object overwrites with conditional writes"). If-Match needs a current object
// (else 404 NoSuchKey) with that ETag, quoted or not (else 412).
export function checkPrecondition(bucket: Bucket, key: string, precondition: WritePrecondition): void {
  const version = currentVersion(bucket, key);
  const current = version && !isDeleteMarker(version) ? version : undefined;
  if (precondition.ifNoneMatch !== undefined && current) throw preconditionFailed("If-None-Match");
  if (precondition.ifMatch === undefined) return;
  if (!current) throw noSuchKey();
  if (unquote(precondition.ifMatch) !== unquote(current.etag)) throw preconditionFailed("If-Match");
}

function unquote(etag: string): string {
  return etag.trim().replace(/^"(.*)"$/, "$1");
}
