import type { LogRecord } from "./events.js";
import type { ListedObject, ObjectStore } from "./object-store.js";
import { parseLogLine } from "./read-log.js";
import { md5OfEtag, recordsByMd5 } from "./s3-bundle.js";
import { daysBetween, folderOf, LAYOUT, parseBundleKey, parseRecordKey, type RecordKey } from "./s3-keys.js";
import type { S3Location } from "./s3-location.js";

/**
 * Objects fetched at once. Reading the log is one GET per record, and a GET to S3 waits tens of ms
 * for its answer: at 25 ms, 16 in flight read at most 640 records a second, below the about 1,000
 * a second that the SDK's own work (about 1 ms of CPU a GET) allows on one core; 50 in flight do
 * not wait on S3. 50 is also the SDK's connection pool (keep-alive, maxSockets 50), so no GET
 * queues for a socket.
 */
export const READ_CONCURRENCY = 50;

export interface S3ReadOptions {
  /** Only sessions started on or after this day (UTC) are listed. */
  since?: Date | undefined;
  now: () => number;
}

export interface S3Record {
  key: string;
  /** What the key says; the record must agree (log verify checks). */
  place: RecordKey;
  /** The object's exact text: the next record's prev is its hash. */
  text: string;
  record: LogRecord | undefined;
  error?: string | undefined;
}

/** A record's key as listed, and what the key says. */
export interface ListedRecord {
  key: string;
  place: RecordKey;
  /** The listed ETag of the version to read: a bundle's copy is taken only if its MD5 is this. */
  etag?: string | undefined;
  /** The version to read; the current one when not given. */
  versionId?: string | undefined;
}

/** One session folder as listed: its records, and its bundle's key when it has one. */
export interface ListedSession {
  records: ListedRecord[];
  bundle?: string | undefined;
}

// Every record of the S3 log (or of the days from `since`), across every runner that wrote it:
// sessions in the order they started, each session's records in seq order.
export async function readS3Log(
  store: ObjectStore,
  location: S3Location,
  options: S3ReadOptions,
): Promise<S3Record[]> {
  return sortByStartThenSeq(await fetchRecords(store, listRecordKeys(store, location, options)));
}

// The session folders under the layout (or the days from `since`), as the listing pages arrive.
async function* listRecordKeys(
  store: ObjectStore,
  location: S3Location,
  options: S3ReadOptions,
): AsyncGenerator<ListedSession> {
  for (const prefix of listingPrefixes(location, options)) {
    for await (const folder of groupByFolder(store.list(prefix))) {
      yield sessionOf(location, folder);
    }
  }
}

// A folder's listed objects as a session: its records, and its bundle.
function sessionOf(location: S3Location, objects: ListedObject[]): ListedSession {
  const records: ListedRecord[] = [];
  let bundle: string | undefined;
  for (const { key, etag } of objects) {
    const place = parseRecordKey(location, key);
    if (place) records.push({ key, place, etag });
    else if (parseBundleKey(location, key) !== undefined) bundle = key;
  }
  return { records, bundle };
}

// A key-ordered listing, one folder at a time: a folder is whole once the listing has left it.
export async function* groupByFolder<T extends { key: string }>(
  items: AsyncIterable<T>,
): AsyncGenerator<T[]> {
  let group: T[] = [];
  for await (const item of items) {
    if (group.length > 0 && folderOf(item.key) !== folderOf(group[0]?.key ?? "")) {
      yield group;
      group = [];
    }
    group.push(item);
  }
  if (group.length > 0) yield group;
}

// Reads and parses each listed session's records, READ_CONCURRENCY sessions at a time: from the
// session's bundle where the MD5 of its copy is the record's listed ETag, else one GET a record.
// The reads start with the first page of the listing rather than after the last, so listing and
// reading overlap. In no order: sortByStartThenSeq orders them.
export async function fetchRecords(
  store: ObjectStore,
  sessions: AsyncIterable<ListedSession>,
): Promise<S3Record[]> {
  const records: S3Record[] = [];
  const source = sessions[Symbol.asyncIterator]();
  let failed = false;
  // An async generator queues concurrent next() calls, so the workers share the listing safely.
  const worker = async () => {
    while (!failed) {
      const next = await source.next();
      if (next.done) return;
      const bundled = recordsByMd5(next.value.bundle ? await store.get(next.value.bundle) : undefined);
      for (const listed of next.value.records) {
        const md5 = md5OfEtag(listed.etag);
        const text = (md5 && bundled.get(md5)) ?? (await store.get(listed.key, listed.versionId)) ?? "";
        records.push(recordOf(listed, text));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: READ_CONCURRENCY }, worker));
  } catch (error) {
    failed = true; // the other workers stop after the GET they are waiting for
    throw error;
  }
  return records;
}

// A record's text, parsed, with where it was found.
export function recordOf({ key, place }: ListedRecord, text: string): S3Record {
  const parsed = parseLogLine(text);
  return parsed.ok
    ? { key, place, text, record: parsed.record }
    : { key, place, text, record: undefined, error: parsed.error };
}

// The whole layout, or one prefix a day from `since` to today.
function listingPrefixes(location: S3Location, options: S3ReadOptions): string[] {
  const root = `${location.prefix}${LAYOUT}/`;
  if (!options.since) return [root];
  return daysBetween(options.since, new Date(options.now())).map((day) => `${root}${day}/`);
}

// Sessions in the order they started (their earliest record's time; a record that cannot be read
// counts as the earliest), each one's records by seq. Whatever order the records came in.
export function sortByStartThenSeq(records: S3Record[]): S3Record[] {
  const start = new Map<string, string>();
  for (const r of records) {
    const time = r.record?.time ?? "";
    const known = start.get(r.place.session);
    if (known === undefined || time < known) start.set(r.place.session, time);
  }
  // Each record's sort key once, not once per comparison.
  const keyed = records.map((record) => ({
    record,
    order: `${record.place.day}/${start.get(record.place.session) ?? ""}/${record.place.session}`,
  }));
  keyed.sort((a, b) => a.order.localeCompare(b.order) || a.record.place.seq - b.record.place.seq);
  return keyed.map((k) => k.record);
}
