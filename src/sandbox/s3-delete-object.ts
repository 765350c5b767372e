import type { SandboxResponse } from "./request.js";
import { authorizeS3, bucketOf, type S3Call } from "./s3-call.js";
import { invalidArgument, invalidVersionId, notEmulated } from "./s3-errors.js";
import { activeRetention, BYPASS_HEADER, requireOverride } from "./s3-object-lock.js";
import { s3Empty } from "./s3-responses.js";
import {
  addDeleteMarker,
  findVersion,
  isDeleteMarker,
  NULL_VERSION,
  removeVersion,
  versionsOf,
} from "./s3-versions.js";
import type { Bucket } from "./state.js";

// DeleteObject (botocore s3 model, DeleteObject): without versionId, s3:DeleteObject, and on a
// versioned bucket a delete marker becomes the current version (x-amz-delete-marker: true,
// x-amz-version-id), which Object Lock allows. With versionId, s3:DeleteObjectVersion, and that version
// is gone for good, unless Object Lock still protects it.
export function deleteObject(call: S3Call): SandboxResponse {
  const { request } = call.ctx;
  const versionId = request.query.versionId;
  if (versionId === undefined) authorizeS3(call, "s3:DeleteObject");
  else authorizeS3(call, "s3:DeleteObjectVersion", { "s3:versionid": versionId });
  const bucket = bucketOf(call);
  // A precondition quietly ignored would delete what the caller meant to keep.
  if (request.headers["if-match"] !== undefined) throw notEmulated("A conditional delete (If-Match)");
  if (request.headers[BYPASS_HEADER] !== undefined && !bucket.objectLock) {
    throw invalidArgument(
      "x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.",
      BYPASS_HEADER,
    );
  }
  return versionId === undefined ? deleteCurrent(call, bucket) : deleteVersion(call, bucket, versionId);
}

function deleteCurrent(call: S3Call, bucket: Bucket): SandboxResponse {
  if (bucket.versioning === undefined) {
    removeVersion(bucket, call.key, NULL_VERSION);
    return s3Empty(204);
  }
  const { clock, state } = call.ctx;
  const marker = addDeleteMarker(bucket, call.key, clock.now(), state.random);
  return s3Empty(204, { "x-amz-delete-marker": "true", "x-amz-version-id": marker.versionId });
}

// S3's answers (LocalStack's AWS-validated snapshots and its provider): a key without versions is a
// 204; an id that is none of the key's versions, or other than "null" in a bucket never versioned,
// is InvalidArgument "Invalid version id specified".
function deleteVersion(call: S3Call, bucket: Bucket, versionId: string): SandboxResponse {
  if (bucket.versioning === undefined && versionId !== NULL_VERSION) throw invalidVersionId(versionId);
  if (versionsOf(bucket, call.key).length === 0) return s3Empty(204);
  const version = findVersion(bucket, call.key, versionId);
  if (!version) throw invalidVersionId(versionId);
  const retention = activeRetention(version, call.ctx.clock.now());
  if (retention) requireOverride(call, retention);
  removeVersion(bucket, call.key, versionId);
  if (bucket.versioning === undefined) return s3Empty(204);
  return s3Empty(204, {
    "x-amz-version-id": versionId,
    ...(isDeleteMarker(version) ? { "x-amz-delete-marker": "true" } : {}),
  });
}
