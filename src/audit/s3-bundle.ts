import { createHash } from "node:crypto";

// A session's bundle: when its run ends, the run writes every record it wrote once more, together,
// in one object beside them (`<session>/bundle.json`). Readers take a record's text from the bundle
// only when its MD5 is the ETag that S3 lists for the record's own object (for the first version,
// with versioning): the bundle saves a GET per record and can never stand in for a record that is
// not in S3 as written. Whatever does not match (SSE-KMS ETags are not MD5s, a record the run did
// not write, a bundle that lies) is read from its own object.

/** The bundle's format; anything else is ignored and every record read on its own. */
const BUNDLE_FORMAT = "taskaccess-s3-bundle/1";

// The bundle's text for a session's records, as they were written (their exact bytes).
export function formatBundle(session: string, texts: readonly string[]): string {
  return JSON.stringify({ format: BUNDLE_FORMAT, session, records: texts });
}

// A bundle's records by their MD5 (hex), the key a listing's ETag gives; empty if it is no bundle.
export function recordsByMd5(bundleText: string | undefined): Map<string, string> {
  const byMd5 = new Map<string, string>();
  if (bundleText === undefined) return byMd5;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bundleText);
  } catch {
    return byMd5;
  }
  const { format, records } = (parsed ?? {}) as { format?: unknown; records?: unknown };
  if (format !== BUNDLE_FORMAT || !Array.isArray(records)) return byMd5;
  for (const text of records) if (typeof text === "string") byMd5.set(md5Hex(text), text);
  return byMd5;
}

// The MD5 an ETag states, lower-case and unquoted; undefined when it is no plain MD5 (multipart).
export function md5OfEtag(etag: string | undefined): string | undefined {
  const bare = etag
    ?.trim()
    .replace(/^"(.*)"$/, "$1")
    .toLowerCase();
  return bare !== undefined && /^[0-9a-f]{32}$/.test(bare) ? bare : undefined;
}

function md5Hex(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}
