import type { ContextValue } from "../iam/index.js";
import { authorizeCall, requireAllowed } from "./authorize.js";
import { SandboxError } from "./errors.js";
import type { HandlerContext } from "./handler-context.js";
import type { Bucket } from "./state.js";

/** One S3 request as the operation handlers see it: the context, and the bucket and key it names. */
export interface S3Call {
  ctx: HandlerContext;
  bucketName: string;
  key: string;
  bucketArn: string;
  objectArn: string;
}

// Names the bucket and object ARNs of a request (arn:aws:s3:::bucket, arn:aws:s3:::bucket/key).
export function s3Call(ctx: HandlerContext, bucketName: string, key: string): S3Call {
  return {
    ctx,
    bucketName,
    key,
    bucketArn: `arn:aws:s3:::${bucketName}`,
    objectArn: `arn:aws:s3:::${bucketName}/${key}`,
  };
}

// The bucket a request names, or NoSuchBucket.
export function bucketOf(call: S3Call): Bucket {
  const bucket = call.ctx.state.buckets.get(call.bucketName);
  if (!bucket) throw new SandboxError("NoSuchBucket", 404, "The specified bucket does not exist");
  return bucket;
}

// Authorizes an action on the object (or, with `onBucket`, the bucket), recording it in the journal.
export function authorizeS3(
  call: S3Call,
  action: string,
  extra: Record<string, ContextValue> = {},
  onBucket = false,
): void {
  requireAllowed(call.ctx, action, onBucket ? call.bucketArn : call.objectArn, extra);
}

// Whether the caller may do an action, without recording it (for answers that depend on a
// permission, such as NoSuchKey versus AccessDenied).
export function mayS3(call: S3Call, action: string, onBucket = false): boolean {
  const { ctx } = call;
  const resource = onBucket ? call.bucketArn : call.objectArn;
  return authorizeCall(ctx.state, ctx.caller, action, resource, ctx.facts).decision.allowed;
}

// A request header S3 reads as a boolean ("true", any case).
export function headerIsTrue(call: S3Call, name: string): boolean {
  return (call.ctx.request.headers[name] ?? "").trim().toLowerCase() === "true";
}
