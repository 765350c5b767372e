import { requireAllowed } from "./authorize.js";
import { SandboxError } from "./errors.js";
import type { SandboxResponse } from "./request.js";
import { makeBucket } from "./s3-buckets.js";
import { authorizeS3, bucketOf, headerIsTrue, type S3Call } from "./s3-call.js";
import { iso, s3Empty, s3Xml } from "./s3-responses.js";

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** CreateBucket's ObjectLockEnabledForBucket header (botocore s3 model, CreateBucketRequest). */
const OBJECT_LOCK_HEADER = "x-amz-bucket-object-lock-enabled";

// ListBuckets: the buckets of the caller's account.
export function listBuckets(call: S3Call): SandboxResponse {
  const { ctx } = call;
  requireAllowed(ctx, "s3:ListAllMyBuckets", "*");
  const buckets = [...ctx.state.buckets.values()].filter((bucket) => bucket.account === ctx.caller.account);
  return s3Xml(200, "ListAllMyBucketsResult", {
    Owner: { ID: ctx.caller.account, DisplayName: ctx.caller.account },
    Buckets: {
      Bucket: buckets.map((bucket) => ({ Name: bucket.name, CreationDate: iso(bucket.createDate) })),
    },
  });
}

// CreateBucket. With x-amz-bucket-object-lock-enabled: true the bucket has Object Lock and versioning,
// which also needs s3:PutBucketObjectLockConfiguration and s3:PutBucketVersioning (botocore s3 model,
// CreateBucket, Permissions: "Object Lock - … the s3:PutBucketObjectLockConfiguration and
// s3:PutBucketVersioning permissions are required").
export function createBucket(call: S3Call): SandboxResponse {
  const { ctx, bucketName } = call;
  if (!BUCKET_NAME.test(bucketName)) {
    throw new SandboxError("InvalidBucketName", 400, "The specified bucket is not valid.");
  }
  authorizeS3(call, "s3:CreateBucket", {}, true);
  const objectLock = headerIsTrue(call, OBJECT_LOCK_HEADER);
  if (objectLock) {
    authorizeS3(call, "s3:PutBucketObjectLockConfiguration", {}, true);
    authorizeS3(call, "s3:PutBucketVersioning", {}, true);
  }
  if (ctx.state.buckets.has(bucketName)) {
    throw new SandboxError(
      "BucketAlreadyOwnedByYou",
      409,
      "Your previous request to create the named bucket succeeded and you already own it.",
    );
  }
  const bucket = makeBucket(
    bucketName,
    ctx.caller.account,
    ctx.clock.now(),
    objectLock ? { objectLock: {} } : {},
  );
  ctx.state.buckets.set(bucketName, bucket);
  return s3Empty(200, { location: `/${bucketName}` });
}

// HeadBucket: s3:ListBucket, then whether the bucket exists.
export function headBucket(call: S3Call): SandboxResponse {
  authorizeS3(call, "s3:ListBucket", {}, true);
  bucketOf(call);
  return s3Empty(200);
}
