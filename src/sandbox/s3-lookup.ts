import { invalidVersionId, methodNotAllowedOnDeleteMarker, noSuchKey, noSuchVersion } from "./s3-errors.js";
import { currentVersion, findVersion, isDeleteMarker, NULL_VERSION } from "./s3-versions.js";
import type { Bucket, S3Object } from "./state.js";

/** The HTTP method of the operation, which decides S3's answer for a delete marker. */
export type LookupMethod = "GET" | "HEAD" | "PUT";

// The object version a request names: the current one, or the one of `versionId`. S3's answers when
// there is none: NoSuchKey (with x-amz-delete-marker and x-amz-version-id when the current version is
// a delete marker), NoSuchVersion, 405 MethodNotAllowed for a delete marker named by its id, and
// InvalidArgument for an id other than "null" in a bucket never versioned (Amazon S3 User Guide,
// "Working with delete markers"; the LocalStack snapshots named in s3-errors.ts).
export function lookupVersion(
  bucket: Bucket,
  key: string,
  versionId: string | undefined,
  method: LookupMethod,
): S3Object {
  if (versionId === undefined) return lookupCurrent(bucket, key, method);
  if (bucket.versioning === undefined && versionId !== NULL_VERSION) throw invalidVersionId(versionId);
  const version = findVersion(bucket, key, versionId);
  if (!version) {
    throw bucket.versioning === undefined ? noSuchKey() : noSuchVersion(key, versionId);
  }
  if (isDeleteMarker(version)) throw methodNotAllowedOnDeleteMarker(method, version.versionId);
  return version;
}

function lookupCurrent(bucket: Bucket, key: string, method: LookupMethod): S3Object {
  const current = currentVersion(bucket, key);
  if (!current) throw noSuchKey();
  if (!isDeleteMarker(current)) return current;
  if (method === "PUT") throw methodNotAllowedOnDeleteMarker(method, current.versionId);
  throw noSuchKey({ "x-amz-delete-marker": "true", "x-amz-version-id": current.versionId });
}
