import type { LogRecord } from "./events.js";
import type { ObjectStore } from "./object-store.js";
import { parseLogLine } from "./read-log.js";
import { daysBetween, LAYOUT, parseRecordKey, type RecordKey } from "./s3-keys.js";
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

// The record keys under the layout (or the days from `since`), as the listing pages arrive.
async function* listRecordKeys(
  store: ObjectStore,
  location: S3Location,
  options: S3ReadOptions,
): AsyncGenerator<ListedRecord> {
  for (const prefix of listingPrefixes(location, options)) {
    for await (const key of store.list(prefix)) {
      const place = parseRecordKey(location, key);
      if (place) yield { key, place };
    }
  }
}

// Reads and parses each listed record, READ_CONCURRENCY at a time. The GETs start with the first
// page of the listing rather than after the last, so listing and reading overlap. In no order:
// sortByStartThenSeq orders them.
export async function fetchRecords(
  store: ObjectStore,
  keys: AsyncIterable<ListedRecord>,
): Promise<S3Record[]> {
  const records: S3Record[] = [];
  const source = keys[Symbol.asyncIterator]();
  let failed = false;
  // An async generator queues concurrent next() calls, so the workers share the listing safely.
  const worker = async () => {
    while (!failed) {
      const next = await source.next();
      if (next.done) return;
      const { key, place } = next.value;
      const text = (await store.get(key)) ?? "";
      const parsed = parseLogLine(text);
      records.push(
        parsed.ok
          ? { key, place, text, record: parsed.record }
          : { key, place, text, record: undefined, error: parsed.error },
      );
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
