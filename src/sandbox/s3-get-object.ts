import { accessDenied } from "./authorize.js";
import { SandboxError } from "./errors.js";
import type { SandboxResponse } from "./request.js";
import { authorizeS3, bucketOf, mayS3, type S3Call } from "./s3-call.js";
import { lookupVersion } from "./s3-lookup.js";
import { retentionHeaders } from "./s3-object-lock.js";
import type { S3Object } from "./state.js";

// GetObject and HeadObject, of the current version or of ?versionId= (which needs
// s3:GetObjectVersion instead of s3:GetObject: botocore s3 model, GetObjectRequest VersionId).
export function getObject(call: S3Call, head: boolean): SandboxResponse {
  const versionId = call.ctx.request.query.versionId;
  if (versionId === undefined) authorizeS3(call, "s3:GetObject");
  else authorizeS3(call, "s3:GetObjectVersion", { "s3:versionid": versionId });
  const bucket = bucketOf(call);
  const object = readable(call, () => lookupVersion(bucket, call.key, versionId, head ? "HEAD" : "GET"));
  const headers: Record<string, string> = {
    etag: object.etag,
    "content-type": object.contentType,
    "content-length": String(object.body.length),
    "last-modified": new Date(object.lastModified).toUTCString(),
    ...object.metadata,
  };
  // Buckets whose versioning was ever set name the version, "null" included.
  if (bucket.versioning !== undefined) headers["x-amz-version-id"] = object.versionId;
  // "If you GET or HEAD an object version but don't have the necessary permissions to view its lock
  // status, the request succeeds. However, it doesn't return information that you don't have
  // permission to view" (Amazon S3 User Guide, "Managing Object Lock").
  if (object.retention && mayS3(call, "s3:GetObjectRetention")) {
    Object.assign(headers, retentionHeaders(object.retention));
  }
  return { status: 200, headers, body: head ? "" : object.body };
}

// Without s3:ListBucket, S3 answers 403 rather than revealing that the key (or version) does not exist
// (botocore s3 model, GetObject and HeadObject, Permissions).
function readable(call: S3Call, lookup: () => S3Object): S3Object {
  try {
    return lookup();
  } catch (error) {
    const notFound =
      error instanceof SandboxError && (error.code === "NoSuchKey" || error.code === "NoSuchVersion");
    if (notFound && !mayS3(call, "s3:ListBucket", true)) throw accessDenied("Access Denied");
    throw error;
  }
}
