import type { ContextValue } from "../iam/index.js";
import type { SandboxRequest, SandboxResponse } from "./request.js";
import { authorizeS3, bucketOf, type S3Call } from "./s3-call.js";
import { iso, s3Xml } from "./s3-responses.js";
import type { Bucket } from "./state.js";
import type { XmlNode } from "./xml.js";

// ListObjects and ListObjectsV2 (s3:ListBucket): the keys whose current version is an object, not a
// delete marker (the bucket's `objects`).
export function listObjects(call: S3Call, v2: boolean): SandboxResponse {
  const { request } = call.ctx;
  const prefix = request.query.prefix ?? "";
  const delimiter = request.query.delimiter;
  const maxKeys = Math.min(1000, Number(request.query["max-keys"] ?? 1000) || 1000);
  const extra: Record<string, ContextValue> = { "s3:prefix": prefix, "s3:max-keys": String(maxKeys) };
  if (delimiter !== undefined) extra["s3:delimiter"] = delimiter;
  authorizeS3(call, "s3:ListBucket", extra, true);
  return listPage(bucketOf(call), request, v2, prefix, delimiter, maxKeys);
}

function listPage(
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
  return s3Xml(200, "ListBucketResult", body);
}
