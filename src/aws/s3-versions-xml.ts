import type { ObjectVersionInfo } from "../audit/object-store.js";

/** One page of ListObjectVersions, as the fast path reads it. */
export interface VersionsPage {
  entries: ObjectVersionInfo[];
  truncated: boolean;
  nextKeyMarker?: string | undefined;
  nextVersionIdMarker?: string | undefined;
}

// A ListVersionsResult document (botocore's s3 model, ListObjectVersionsOutput: Version and
// DeleteMarker entries, each with Key, VersionId, IsLatest, LastModified; a Version's ETag) read
// without the SDK's XML stack, which costs `log verify` about 50 µs an entry (docs/benchmarks.md,
// row 7). Entries come in document order, which is key order with a key's delete markers among
// its versions, newest first. Undefined when the text is not such a document: the caller then
// asks the SDK.
export function parseVersionsPage(xml: string): VersionsPage | undefined {
  if (!/<ListVersionsResult[\s>]/.test(xml)) return undefined;
  const entries: ObjectVersionInfo[] = [];
  for (const match of xml.matchAll(/<(Version|DeleteMarker)>([\s\S]*?)<\/\1>/g)) {
    const body = match[2] ?? "";
    const key = field(body, "Key");
    const versionId = field(body, "VersionId");
    if (key === undefined || versionId === undefined) return undefined;
    const lastModified = field(body, "LastModified");
    const etag = field(body, "ETag");
    entries.push({
      key,
      versionId,
      isLatest: field(body, "IsLatest") === "true",
      deleteMarker: match[1] === "DeleteMarker",
      lastModified: lastModified === undefined ? undefined : new Date(lastModified),
      ...(etag === undefined ? {} : { etag }),
    });
  }
  const head = xml.replace(/<(Version|DeleteMarker|CommonPrefixes)>[\s\S]*?<\/\1>/g, "");
  return {
    entries,
    truncated: field(head, "IsTruncated") === "true",
    nextKeyMarker: field(head, "NextKeyMarker"),
    nextVersionIdMarker: field(head, "NextVersionIdMarker"),
  };
}

// The text of the first <name> element directly in `xml` (no attributes, no nesting), unescaped.
function field(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match ? unescapeXml(match[1] ?? "") : undefined;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

// XML's five named entities and character references, as S3 escapes keys and ETags.
export function unescapeXml(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith("#x")) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith("#")) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    return ENTITIES[ref] ?? whole;
  });
}
