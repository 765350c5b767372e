import type { ObjectVersionInfo } from "../audit/object-store.js";
import type { SignedGet } from "./s3-fast-get.js";
import { parseVersionsPage, type VersionsPage } from "./s3-versions-xml.js";

/** Where a listing stands: the markers of the next page. */
export interface VersionsMarker {
  keyMarker?: string | undefined;
  versionIdMarker?: string | undefined;
}

// One page of ListObjectVersions by a signed GET, parsed by parseVersionsPage; undefined when S3
// answers anything but a plain 200 ListVersionsResult (a redirect, an error), for the SDK to take.
export async function fetchVersionsPage(
  signedGet: SignedGet,
  prefix: string,
  marker: VersionsMarker,
): Promise<VersionsPage | undefined> {
  const query: Record<string, string> = { versions: "", prefix };
  if (marker.keyMarker !== undefined) query["key-marker"] = marker.keyMarker;
  if (marker.versionIdMarker !== undefined) query["version-id-marker"] = marker.versionIdMarker;
  const { status, body } = await signedGet("", query);
  return status === 200 ? parseVersionsPage(body) : undefined;
}

// Every version under the prefix, page after page, each page from `page` (the fast path, else the
// SDK for that page): the listing goes on from the same markers whichever answered.
export async function* listAllVersions(
  page: (marker: VersionsMarker) => Promise<VersionsPage>,
): AsyncGenerator<ObjectVersionInfo> {
  let marker: VersionsMarker = {};
  for (;;) {
    const current = await page(marker);
    yield* current.entries;
    if (!current.truncated || current.nextKeyMarker === undefined) return;
    marker = { keyMarker: current.nextKeyMarker, versionIdMarker: current.nextVersionIdMarker };
  }
}
