import { createHash } from "node:crypto";
import type { ContextValue } from "../iam/index.js";
import { SandboxError } from "./errors.js";
import type { SandboxResponse } from "./request.js";
import { decodeBody } from "./s3-body.js";
import { authorizeS3, bucketOf, type S3Call } from "./s3-call.js";
import { checkPrecondition, preconditionKeys, readPrecondition } from "./s3-conditional.js";
import {
  LOCK_MODE_HEADER,
  LOCK_UNTIL_HEADER,
  putSetsRetention,
  retentionConditionKeys,
  retentionForWrite,
} from "./s3-object-lock.js";
import { s3Empty } from "./s3-responses.js";
import { nextVersionId, storeObject } from "./s3-versions.js";
import type { S3Object } from "./state.js";

// PutObject: s3:PutObject always; also s3:PutObjectRetention when the request sets a retention of its
// own, and s3:GetObject for If-Match ("To perform a conditional write with the HTTP If-Match header,
// you must have the s3:PutObject and s3:GetObject permissions", Amazon S3 User Guide, conditional
// writes). The precondition is checked against the current version when the body is in, and the
// object stored in the same step.
export function putObject(call: S3Call): SandboxResponse {
  const { request, clock, state } = call.ctx;
  if (request.headers["x-amz-copy-source"]) {
    throw new SandboxError("NotImplemented", 501, "CopyObject is not emulated by the taskaccess sandbox.");
  }
  const precondition = readPrecondition(request);
  const now = clock.now();
  const lockKeys = retentionConditionKeys(
    request.headers[LOCK_MODE_HEADER],
    request.headers[LOCK_UNTIL_HEADER],
    now,
  );
  authorizeS3(call, "s3:PutObject", { ...headerKeys(call), ...preconditionKeys(precondition), ...lockKeys });
  if (putSetsRetention(call)) authorizeS3(call, "s3:PutObjectRetention", lockKeys);
  if (precondition.ifMatch !== undefined) authorizeS3(call, "s3:GetObject");
  const bucket = bucketOf(call);
  const retention = retentionForWrite(call, bucket, now);
  const body = decodeBody(request);
  const etag = `"${checkedMd5(call, body)}"`;
  checkPrecondition(bucket, call.key, precondition);
  const object: S3Object = {
    body,
    etag,
    contentType: request.headers["content-type"] ?? "binary/octet-stream",
    lastModified: now,
    metadata: userMetadata(call),
    versionId: nextVersionId(bucket, state.random),
    retention,
  };
  storeObject(bucket, call.key, object);
  // Only a versioning-Enabled bucket names the new version (a suspended bucket's is "null", unsaid).
  return s3Empty(200, {
    etag,
    ...(bucket.versioning === "Enabled" ? { "x-amz-version-id": object.versionId } : {}),
  });
}

// The request headers PutObject has condition keys for (s3:x-amz-acl, …).
function headerKeys(call: S3Call): Record<string, ContextValue> {
  const extra: Record<string, ContextValue> = {};
  for (const header of ["x-amz-acl", "x-amz-server-side-encryption", "x-amz-storage-class"]) {
    const value = call.ctx.request.headers[header];
    if (value !== undefined) extra[`s3:${header}`] = value;
  }
  return extra;
}

// The body's MD5 (hex), checked against Content-MD5 when the request has one.
function checkedMd5(call: S3Call, body: Buffer): string {
  const md5 = createHash("md5").update(body).digest();
  const contentMd5 = call.ctx.request.headers["content-md5"];
  if (contentMd5 !== undefined && contentMd5 !== md5.toString("base64")) {
    throw new SandboxError("BadDigest", 400, "The Content-MD5 you specified did not match what we received.");
  }
  return md5.toString("hex");
}

function userMetadata(call: S3Call): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(call.ctx.request.headers)) {
    if (name.startsWith("x-amz-meta-") && value !== undefined) metadata[name] = value;
  }
  return metadata;
}
