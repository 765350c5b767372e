import type { ContextValue } from "../iam/index.js";
import type { SandboxRequest, SandboxResponse } from "./request.js";
import { authorizeS3, bucketOf, type S3Call } from "./s3-call.js";
import { invalidArgument } from "./s3-errors.js";
import { iso, s3XmlText } from "./s3-responses.js";
import { isDeleteMarker, versionsOf } from "./s3-versions.js";
import type { Bucket, ObjectVersion } from "./state.js";
import { renderXml, type XmlNode } from "./xml.js";

interface ListQuery {
  prefix: string;
  delimiter: string | undefined;
  keyMarker: string;
  versionIdMarker: string;
  maxKeys: number;
  encode: (text: string) => string;
  encoding: "url" | undefined;
}

interface Page {
  entries: Array<{ key: string; version: ObjectVersion; isLatest: boolean }>;
  prefixes: string[];
  truncated: boolean;
  nextKey?: string | undefined;
  nextVersionId?: string | undefined;
}

// ListObjectVersions (GET /bucket?versions), authorized as s3:ListBucketVersions (botocore s3 model:
// "you must have permission to perform the s3:ListBucketVersions action"). Keys in order, each key's
// versions newest first, delete markers among them; a page ends after max-keys entries and the next
// starts after key-marker (and version-id-marker), which the answer's NextKeyMarker and
// NextVersionIdMarker give: the last entry returned (as the LocalStack snapshots recorded from S3 show).
export function listObjectVersions(call: S3Call): SandboxResponse {
  const query = readQuery(call.ctx.request);
  const keys: Record<string, ContextValue> = {
    "s3:prefix": query.prefix,
    "s3:max-keys": String(query.maxKeys),
  };
  if (query.delimiter !== undefined) keys["s3:delimiter"] = query.delimiter;
  authorizeS3(call, "s3:ListBucketVersions", keys, true);
  const bucket = bucketOf(call);
  return render(bucket, query, collect(bucket, query));
}

// The list's parameters, checked as S3 checks them (texts from LocalStack's S3 provider and S3 answers
// captured by S3 emulators: fake-s3's for max-keys).
function readQuery(request: SandboxRequest): ListQuery {
  const q = request.query;
  const keyMarker = q["key-marker"] ?? "";
  const versionIdMarker = q["version-id-marker"] ?? "";
  if (versionIdMarker !== "" && keyMarker === "") {
    throw invalidArgument(
      "A version-id marker cannot be specified without a key marker.",
      "version-id-marker",
      versionIdMarker,
    );
  }
  const encoding = q["encoding-type"];
  if (encoding !== undefined && encoding !== "url") {
    throw invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", encoding);
  }
  const rawMax = q["max-keys"];
  const max = rawMax === undefined ? 1000 : Number(rawMax);
  if (rawMax !== undefined && (!/^-?\d+$/.test(rawMax) || max > 2_147_483_647)) {
    throw invalidArgument("Provided max-keys not an integer or within integer range", "max-keys", rawMax);
  }
  if (max < 0)
    throw invalidArgument("Argument maxKeys must be an integer between 0 and 2147483647", "maxKeys", rawMax);
  return {
    prefix: q.prefix ?? "",
    delimiter: q.delimiter === "" ? undefined : q.delimiter,
    keyMarker,
    versionIdMarker,
    maxKeys: Math.min(max, 1000),
    encoding: encoding === "url" ? "url" : undefined,
    encode: encoding === "url" ? encodeURIComponent : (text) => text,
  };
}

function collect(bucket: Bucket, query: ListQuery): Page {
  const page: Page = { entries: [], prefixes: [], truncated: false };
  const keys = [...bucket.versions.keys()]
    .filter((key) => key.startsWith(query.prefix) && key >= query.keyMarker)
    .sort();
  let count = 0;
  for (const key of keys) {
    const common = commonPrefix(key, query);
    if (common !== undefined) {
      if (page.prefixes.includes(common) || query.keyMarker.startsWith(common)) continue;
      if (count >= query.maxKeys) return { ...page, truncated: true };
      page.prefixes.push(common);
      count += 1;
      page.nextKey = common;
      page.nextVersionId = undefined;
      continue;
    }
    const all = versionsOf(bucket, key);
    for (const version of versionsAfterMarker(key, all, query)) {
      if (count >= query.maxKeys) return { ...page, truncated: true };
      page.entries.push({ key, version, isLatest: version === all[0] });
      count += 1;
      page.nextKey = key;
      page.nextVersionId = version.versionId;
    }
  }
  return page;
}

// The key's versions the page may list: all, or for the key-marker's key those after version-id-marker
// (none without one, and none when the marker names no version of the key any more).
function versionsAfterMarker(
  key: string,
  all: readonly ObjectVersion[],
  query: ListQuery,
): readonly ObjectVersion[] {
  if (key !== query.keyMarker) return all;
  const index =
    query.versionIdMarker === "" ? -1 : all.findIndex((v) => v.versionId === query.versionIdMarker);
  return index < 0 ? [] : all.slice(index + 1);
}

function commonPrefix(key: string, query: ListQuery): string | undefined {
  if (query.delimiter === undefined) return undefined;
  const cut = key.indexOf(query.delimiter, query.prefix.length);
  return cut < 0 ? undefined : key.slice(0, cut + query.delimiter.length);
}

function render(bucket: Bucket, query: ListQuery, page: Page): SandboxResponse {
  const { encode } = query;
  const owner = { ID: bucket.account, DisplayName: bucket.account };
  const head: XmlNode = {
    Name: bucket.name,
    Prefix: encode(query.prefix),
    KeyMarker: encode(query.keyMarker),
    VersionIdMarker: query.versionIdMarker,
    ...(page.truncated && page.nextKey !== undefined ? { NextKeyMarker: encode(page.nextKey) } : {}),
    ...(page.truncated && page.nextVersionId !== undefined
      ? { NextVersionIdMarker: page.nextVersionId }
      : {}),
    MaxKeys: query.maxKeys,
    ...(query.delimiter !== undefined ? { Delimiter: encode(query.delimiter) } : {}),
    IsTruncated: page.truncated,
    ...(query.encoding ? { EncodingType: query.encoding } : {}),
  };
  const entries = page.entries.map(({ key, version, isLatest }) => {
    const common = { Key: encode(key), VersionId: version.versionId, IsLatest: isLatest };
    if (isDeleteMarker(version)) {
      return renderXml({
        DeleteMarker: { ...common, LastModified: iso(version.lastModified), Owner: owner },
      });
    }
    return renderXml({
      Version: {
        ...common,
        LastModified: iso(version.lastModified),
        ETag: version.etag,
        Size: version.body.length,
        StorageClass: "STANDARD",
        Owner: owner,
      },
    });
  });
  const prefixes = renderXml({ CommonPrefixes: page.prefixes.map((prefix) => ({ Prefix: encode(prefix) })) });
  return s3XmlText(200, "ListVersionsResult", renderXml(head) + entries.join("") + prefixes);
}
