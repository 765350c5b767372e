import { createHash } from "node:crypto";
import type { ContextValue } from "../iam/index.js";
import { accessDenied, requireAllowed as authorize, authorizeCall } from "./authorize.js";
import { SandboxError } from "./errors.js";
import type { HandlerContext } from "./handler-context.js";
import type { SandboxRequest, SandboxResponse } from "./request.js";
import type { Bucket } from "./state.js";
import { renderXml, type XmlNode } from "./xml.js";

const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

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

// Names the S3 operation of a request, for the journal and fault scripts.
export function s3OperationName(request: SandboxRequest, target: S3Target): string {
  const method = request.method.toUpperCase();
  if (!target.bucket) return method === "GET" ? "ListBuckets" : "Unknown";
  if (!target.key) {
    if (method === "PUT") return "CreateBucket";
    if (method === "GET") return request.query["list-type"] === "2" ? "ListObjectsV2" : "ListObjects";
    if (method === "HEAD") return "HeadBucket";
    return "Unknown";
  }
  if (method === "PUT") return "PutObject";
  if (method === "GET") return "GetObject";
  if (method === "HEAD") return "HeadObject";
  if (method === "DELETE") return "DeleteObject";
  return "Unknown";
}

// Serves the S3 operations a task that ships a release needs, with IAM authorization on each.
export function handleS3(ctx: HandlerContext, operation: string, target: S3Target): SandboxResponse {
  const { request, state } = ctx;
  const bucketName = target.bucket ?? "";
  const key = target.key ?? "";
  const objectArn = `arn:aws:s3:::${bucketName}/${key}`;
  const bucketArn = `arn:aws:s3:::${bucketName}`;
  switch (operation) {
    case "ListBuckets": {
      authorize(ctx, "s3:ListAllMyBuckets", "*");
      const buckets = [...state.buckets.values()].filter((bucket) => bucket.account === ctx.caller.account);
      return xml(200, "ListAllMyBucketsResult", {
        Owner: { ID: ctx.caller.account, DisplayName: ctx.caller.account },
        Buckets: {
          Bucket: buckets.map((bucket) => ({ Name: bucket.name, CreationDate: iso(bucket.createDate) })),
        },
      });
    }
    case "CreateBucket": {
      if (!BUCKET_NAME.test(bucketName)) {
        throw new SandboxError("InvalidBucketName", 400, "The specified bucket is not valid.");
      }
      authorize(ctx, "s3:CreateBucket", bucketArn);
      if (state.buckets.has(bucketName)) {
        throw new SandboxError(
          "BucketAlreadyOwnedByYou",
          409,
          "Your previous request to create the named bucket succeeded and you already own it.",
        );
      }
      state.buckets.set(bucketName, {
        name: bucketName,
        account: ctx.caller.account,
        createDate: ctx.clock.now(),
        objects: new Map(),
      });
      return { status: 200, headers: { location: `/${bucketName}` }, body: "" };
    }
    case "HeadBucket": {
      authorize(ctx, "s3:ListBucket", bucketArn);
      bucketOf(ctx, bucketName);
      return { status: 200, headers: {}, body: "" };
    }
    case "ListObjectsV2":
    case "ListObjects": {
      const prefix = request.query.prefix ?? "";
      const delimiter = request.query.delimiter;
      const maxKeys = Math.min(1000, Number(request.query["max-keys"] ?? 1000) || 1000);
      const extra: Record<string, ContextValue> = { "s3:prefix": prefix, "s3:max-keys": String(maxKeys) };
      if (delimiter !== undefined) extra["s3:delimiter"] = delimiter;
      authorize(ctx, "s3:ListBucket", bucketArn, extra);
      return listObjects(
        bucketOf(ctx, bucketName),
        request,
        operation === "ListObjectsV2",
        prefix,
        delimiter,
        maxKeys,
      );
    }
    case "PutObject": {
      if (request.headers["x-amz-copy-source"]) {
        throw new SandboxError(
          "NotImplemented",
          501,
          "CopyObject is not emulated by the taskaccess sandbox.",
        );
      }
      const extra: Record<string, ContextValue> = {};
      for (const header of ["x-amz-acl", "x-amz-server-side-encryption", "x-amz-storage-class"]) {
        const value = request.headers[header];
        if (value !== undefined) extra[`s3:${header}`] = value;
      }
      authorize(ctx, "s3:PutObject", objectArn, extra);
      const bucket = bucketOf(ctx, bucketName);
      const body = decodeBody(request);
      const md5 = createHash("md5").update(body).digest();
      const contentMd5 = request.headers["content-md5"];
      if (contentMd5 !== undefined && contentMd5 !== md5.toString("base64")) {
        throw new SandboxError(
          "BadDigest",
          400,
          "The Content-MD5 you specified did not match what we received.",
        );
      }
      const etag = `"${md5.toString("hex")}"`;
      const metadata: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (name.startsWith("x-amz-meta-") && value !== undefined) metadata[name] = value;
      }
      bucket.objects.set(key, {
        body,
        etag,
        contentType: request.headers["content-type"] ?? "binary/octet-stream",
        lastModified: ctx.clock.now(),
        metadata,
      });
      return { status: 200, headers: { etag }, body: "" };
    }
    case "GetObject":
    case "HeadObject": {
      authorize(ctx, "s3:GetObject", objectArn);
      const bucket = bucketOf(ctx, bucketName);
      const object = bucket.objects.get(key);
      if (!object) {
        // Without s3:ListBucket, S3 answers 403 rather than revealing that the key does not exist.
        const canList = authorizeCall(state, ctx.caller, "s3:ListBucket", bucketArn, ctx.facts).decision
          .allowed;
        if (!canList) throw accessDenied("Access Denied");
        throw new SandboxError("NoSuchKey", 404, "The specified key does not exist.");
      }
      const headers: Record<string, string> = {
        etag: object.etag,
        "content-type": object.contentType,
        "content-length": String(object.body.length),
        "last-modified": new Date(object.lastModified).toUTCString(),
        ...object.metadata,
      };
      return { status: 200, headers, body: operation === "HeadObject" ? "" : object.body };
    }
    case "DeleteObject": {
      authorize(ctx, "s3:DeleteObject", objectArn);
      bucketOf(ctx, bucketName).objects.delete(key);
      return { status: 204, headers: {}, body: "" };
    }
    default:
      throw new SandboxError(
        "NotImplemented",
        501,
        "This S3 operation is not emulated by the taskaccess sandbox.",
      );
  }
}

// S3's error envelope: a bare <Error> document (not the Query protocol's <ErrorResponse>).
export function s3Error(
  error: { code: string; message: string; status: number },
  requestId: string,
  head: boolean,
): SandboxResponse {
  return {
    status: error.status,
    headers: head ? {} : { "content-type": "application/xml" },
    body: head
      ? ""
      : `<?xml version="1.0" encoding="UTF-8"?>\n${renderXml({
          Error: { Code: error.code, Message: error.message, RequestId: requestId, HostId: requestId },
        })}`,
  };
}

function bucketOf(ctx: HandlerContext, name: string): Bucket {
  const bucket = ctx.state.buckets.get(name);
  if (!bucket) throw new SandboxError("NoSuchBucket", 404, "The specified bucket does not exist");
  return bucket;
}

function listObjects(
  bucket: Bucket,
  request: SandboxRequest,
  v2: boolean,
  prefix: string,
  delimiter: string | undefined,
  maxKeys: number,
): SandboxResponse {
  const after = v2
    ? request.query["continuation-token"]
      ? Buffer.from(request.query["continuation-token"], "base64url").toString("utf8")
      : (request.query["start-after"] ?? "")
    : (request.query.marker ?? "");
  const keys = [...bucket.objects.keys()].filter((key) => key.startsWith(prefix) && key > after).sort();
  const contents: XmlNode[] = [];
  const prefixes = new Set<string>();
  let truncated = false;
  let last = "";
  for (const key of keys) {
    if (contents.length + prefixes.size >= maxKeys) {
      truncated = true;
      break;
    }
    const rest = key.slice(prefix.length);
    const cut = delimiter ? rest.indexOf(delimiter) : -1;
    if (delimiter && cut >= 0) {
      prefixes.add(prefix + rest.slice(0, cut + delimiter.length));
    } else {
      const object = bucket.objects.get(key);
      if (!object) continue;
      contents.push({
        Key: key,
        LastModified: iso(object.lastModified),
        ETag: object.etag,
        Size: object.body.length,
        StorageClass: "STANDARD",
      });
    }
    last = key;
  }
  const common = [...prefixes].map((value) => ({ Prefix: value }));
  const body: XmlNode = {
    Name: bucket.name,
    Prefix: prefix,
    ...(delimiter !== undefined ? { Delimiter: delimiter } : {}),
    MaxKeys: maxKeys,
    IsTruncated: truncated,
    ...(v2
      ? {
          KeyCount: contents.length + common.length,
          ...(truncated ? { NextContinuationToken: Buffer.from(last, "utf8").toString("base64url") } : {}),
        }
      : truncated
        ? { NextMarker: last }
        : {}),
    Contents: contents,
    CommonPrefixes: common,
  };
  return xml(200, "ListBucketResult", body);
}

function xml(status: number, root: string, body: XmlNode): SandboxResponse {
  return {
    status,
    headers: { "content-type": "application/xml" },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NAMESPACE}">${renderXml(body)}</${root}>`,
  };
}

// Undoes aws-chunked transfer encoding (SigV4 streaming uploads); chunk signatures are not checked.
export function decodeBody(request: SandboxRequest): Buffer {
  const encoding = request.headers["content-encoding"] ?? "";
  const declared = request.headers["x-amz-content-sha256"] ?? "";
  if (!encoding.includes("aws-chunked") && !declared.startsWith("STREAMING-")) return request.body;
  const parts: Buffer[] = [];
  let offset = 0;
  const body = request.body;
  while (offset < body.length) {
    const lineEnd = body.indexOf("\r\n", offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString("latin1").split(";")[0] ?? "", 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function iso(time: number): string {
  return new Date(time).toISOString();
}
