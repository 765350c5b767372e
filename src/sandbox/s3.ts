import { SandboxError } from "./errors.js";
import type { HandlerContext } from "./handler-context.js";
import type { SandboxRequest, SandboxResponse } from "./request.js";
import { createBucket, headBucket, listBuckets } from "./s3-bucket-ops.js";
import { type S3Call, s3Call } from "./s3-call.js";
import { deleteObject } from "./s3-delete-object.js";
import { getObject } from "./s3-get-object.js";
import { listObjects } from "./s3-list-objects.js";
import { listObjectVersions } from "./s3-list-versions.js";
import { getObjectLockConfiguration, putObjectLockConfiguration } from "./s3-object-lock-config.js";
import { putObject } from "./s3-put-object.js";
import { getObjectRetention, putObjectRetention } from "./s3-retention.js";
import { getBucketVersioning, putBucketVersioning } from "./s3-versioning.js";

// S3's <Error> envelope, which the server renders for every S3 error.
export { s3Error } from "./s3-errors.js";

/** The bucket and key a request names (either may be absent). */
export interface S3Target {
  bucket?: string | undefined;
  key?: string | undefined;
}

/**
 * An S3 endpoint label as in AWS host names: `s3`, `s3.REGION`, `s3-REGION`, `s3.dualstack.REGION`
 * (Amazon S3 User Guide, "Virtual hosting of buckets"; AWS General Reference, "Amazon S3 endpoints").
 */
const S3_LABEL = String.raw`s3(?:[.-]dualstack)?(?:[.-][a-z]{2}(?:-[a-z]+)+-\d+)?`;
/**
 * A virtual-host style Host: the bucket, then optionally an S3 endpoint label, then the sandbox's own
 * name. So `bucket.localhost`, `bucket.s3.localhost` and `bucket.s3.us-east-1.localhost` all name `bucket`.
 */
const VIRTUAL_HOST = new RegExp(String.raw`^(.+?)\.(?:${S3_LABEL}\.)?(?:localhost|127\.0\.0\.1|0\.0\.0\.0)$`);
/** A Host that is an S3 endpoint without a bucket (`s3.localhost`, `s3.us-east-1.localhost`): path style. */
const S3_ENDPOINT_ONLY = new RegExp(`^${S3_LABEL}$`);

// Which bucket and key a request names: virtual-host style (bucket.localhost:PORT/key) or path style
// (/bucket/key), as S3 accepts both.
export function resolveS3Target(request: SandboxRequest): S3Target {
  const host = (request.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
  const path = request.path.split("?")[0] ?? "/";
  const virtual = VIRTUAL_HOST.exec(host)?.[1];
  if (virtual && !S3_ENDPOINT_ONLY.test(virtual)) {
    const key = decodeKey(path.slice(1));
    return { bucket: virtual, key: key === "" ? undefined : key };
  }
  const [, bucket = "", ...rest] = path.split("/");
  const key = decodeKey(rest.join("/"));
  return { bucket: bucket === "" ? undefined : decodeKey(bucket), key: key === "" ? undefined : key };
}

function decodeKey(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// Names the S3 operation of a request, for the journal and fault scripts. Bucket and object
// subresources (?versioning, ?versions, ?object-lock, ?retention, ?legal-hold) name their operation as
// the botocore s3 model's requestUri does (PUT /{Bucket}?versioning is PutBucketVersioning, …).
export function s3OperationName(request: SandboxRequest, target: S3Target): string {
  const method = request.method.toUpperCase();
  if (!target.bucket) return method === "GET" ? "ListBuckets" : "Unknown";
  return target.key ? objectOperation(method, request.query) : bucketOperation(method, request.query);
}

function bucketOperation(method: string, query: Record<string, string>): string {
  const has = (name: string) => query[name] !== undefined;
  if (method === "PUT") {
    if (has("versioning")) return "PutBucketVersioning";
    if (has("object-lock")) return "PutObjectLockConfiguration";
    return "CreateBucket";
  }
  if (method === "GET") {
    if (has("versioning")) return "GetBucketVersioning";
    if (has("object-lock")) return "GetObjectLockConfiguration";
    if (has("versions")) return "ListObjectVersions";
    return query["list-type"] === "2" ? "ListObjectsV2" : "ListObjects";
  }
  if (method === "HEAD") return "HeadBucket";
  return "Unknown";
}

function objectOperation(method: string, query: Record<string, string>): string {
  const has = (name: string) => query[name] !== undefined;
  if (method === "PUT") {
    if (has("retention")) return "PutObjectRetention";
    if (has("legal-hold")) return "PutObjectLegalHold";
    return "PutObject";
  }
  if (method === "GET") {
    if (has("retention")) return "GetObjectRetention";
    if (has("legal-hold")) return "GetObjectLegalHold";
    return "GetObject";
  }
  if (method === "HEAD") return "HeadObject";
  if (method === "DELETE") return "DeleteObject";
  return "Unknown";
}

type S3Handler = (call: S3Call) => SandboxResponse;

/** The operations the sandbox serves, each authorized with its IAM action (see each handler). */
const HANDLERS: Readonly<Record<string, S3Handler>> = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  HeadBucket: headBucket,
  ListObjects: (call) => listObjects(call, false),
  ListObjectsV2: (call) => listObjects(call, true),
  ListObjectVersions: listObjectVersions,
  PutBucketVersioning: putBucketVersioning,
  GetBucketVersioning: getBucketVersioning,
  PutObjectLockConfiguration: putObjectLockConfiguration,
  GetObjectLockConfiguration: getObjectLockConfiguration,
  PutObject: putObject,
  GetObject: (call) => getObject(call, false),
  HeadObject: (call) => getObject(call, true),
  DeleteObject: deleteObject,
  PutObjectRetention: putObjectRetention,
  GetObjectRetention: getObjectRetention,
};

// Serves the S3 operations a task that ships a release needs, with IAM authorization on each.
export function handleS3(ctx: HandlerContext, operation: string, target: S3Target): SandboxResponse {
  const handler = Object.hasOwn(HANDLERS, operation) ? HANDLERS[operation] : undefined;
  if (!handler) {
    throw new SandboxError(
      "NotImplemented",
      501,
      "This S3 operation is not emulated by the taskaccess sandbox.",
    );
  }
  return handler(s3Call(ctx, target.bucket ?? "", target.key ?? ""));
}
