import type { S3Location } from "./s3-location.js";

// The S3 log's layout: <prefix>v1/<YYYY>/<MM>/<DD>/<session>/<seq>.json, the day the session
// started (UTC). One folder a session: its records sort in seq order, and a seq is one key, so two
// writers that both want the next seq of a session (its run, a `revoke` elsewhere) cannot both have
// it: If-None-Match lets one in. `--since` lists only the days it needs.

/** The layout's version: a later layout goes under another folder, beside this one. */
export const LAYOUT = "v1";
/** Sequence numbers are zero-padded so that keys sort as numbers do. */
const SEQ_DIGITS = 6;

export interface RecordKey {
  day: string;
  session: string;
  seq: number;
}

// The folder of one day's sessions: YYYY/MM/DD from an ISO time.
export function dayOf(isoTime: string): string {
  return isoTime.slice(0, 10).replaceAll("-", "/");
}

// The folder holding every record of a session.
export function sessionFolder(location: S3Location, day: string, session: string): string {
  return `${location.prefix}${LAYOUT}/${day}/${session}/`;
}

// The key of one record.
export function recordKey(location: S3Location, key: RecordKey): string {
  return `${sessionFolder(location, key.day, key.session)}${String(key.seq).padStart(SEQ_DIGITS, "0")}.json`;
}

/** The name of a session's bundle: every record its run wrote, in one object (s3-bundle.ts). */
const BUNDLE_NAME = "bundle.json";

// The key of a session's bundle, beside its records.
export function bundleKey(location: S3Location, day: string, session: string): string {
  return `${sessionFolder(location, day, session)}${BUNDLE_NAME}`;
}

// The session folder of a bundle's key; undefined for any other key.
export function parseBundleKey(location: S3Location, key: string): string | undefined {
  if (!key.startsWith(`${location.prefix}${LAYOUT}/`) || !key.endsWith(`/${BUNDLE_NAME}`)) return undefined;
  return key.slice(0, -BUNDLE_NAME.length);
}

// The folder of a key under the layout (everything up to its last slash).
export function folderOf(key: string): string {
  return key.slice(0, key.lastIndexOf("/") + 1);
}

// A key back to its parts; undefined for keys that are not records of this layout.
export function parseRecordKey(location: S3Location, key: string): RecordKey | undefined {
  if (!key.startsWith(`${location.prefix}${LAYOUT}/`)) return undefined;
  const rest = key.slice(location.prefix.length + LAYOUT.length + 1);
  const match = /^(\d{4}\/\d{2}\/\d{2})\/([^/]+)\/(\d+)\.json$/.exec(rest);
  if (!match) return undefined;
  return { day: match[1] ?? "", session: match[2] ?? "", seq: Number(match[3]) };
}

// The day folders from `since` to `until` (inclusive), for a listing that skips older days.
export function daysBetween(since: Date, until: Date): string[] {
  const days: string[] = [];
  const day = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()));
  while (day.getTime() <= until.getTime()) {
    days.push(dayOf(day.toISOString()));
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return days;
}
