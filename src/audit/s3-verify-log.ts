import { GENESIS_PREV, sha256Hex } from "./chain.js";
import type { ObjectStore } from "./object-store.js";
import { parseLogLine } from "./read-log.js";
import { LAYOUT, parseRecordKey } from "./s3-keys.js";
import type { S3Location } from "./s3-location.js";
import { fetchRecords, type ListedRecord, type S3Record, sortByStartThenSeq } from "./s3-read-log.js";

/** changed: a record's bytes are not what the next one chained onto, or disagree with its key; removed: a gap in a session's seq; overwritten/deleted: a key with a later version or a delete marker. */
export type S3ProblemKind = "malformed" | "changed" | "removed" | "overwritten" | "deleted";

export interface S3VerifyProblem {
  key: string;
  kind: S3ProblemKind;
  message: string;
}

export interface S3VerifyResult {
  ok: boolean;
  sessions: number;
  records: number;
  problems: S3VerifyProblem[];
}

// Checks every session's chain in an S3 log, and every key's versions: with versioning on, a record
// that was overwritten or deleted (a later version, a delete marker) is reported as such, and its
// first version, the one taskaccess wrote, stands in the chain for it: so the chain says whether
// the log as written is whole, and the overwrite or deletion is named once, where it happened.
export async function verifyS3Log(
  store: ObjectStore,
  location: S3Location,
  // Verify reads every day of the log, so it needs no clock; the parameter stays for its callers.
  _options: { now: () => number },
): Promise<S3VerifyResult> {
  // One listing of every version serves both checks: the versions of each key, and the current
  // objects (each key's latest version, unless a delete marker), which are read as it goes on.
  // Listing the current objects as well would list the log twice.
  const versions = new Map<string, VersionCount>();
  const current = await fetchRecords(store, currentRecords(store, location, versions));
  const records = sortByStartThenSeq(
    withFirstVersions(current, await firstVersions(store, location, versions)),
  );
  const problems = [...versionProblems(versions), ...chainProblems(records)];
  const sessions = new Set(records.map((record) => record.place.session)).size;
  return { ok: problems.length === 0, sessions, records: records.length, problems };
}

// Per session: seq 1, 2, … with no gap; each prev the hash of the record before; the record's own
// session, seq and event those of its key.
function chainProblems(records: S3Record[]): S3VerifyProblem[] {
  const problems: S3VerifyProblem[] = [];
  let previous: S3Record | undefined;
  for (const current of records) {
    const sameSession = previous?.place.session === current.place.session;
    const expectedSeq = sameSession && previous ? previous.place.seq + 1 : 1;
    const { record, key, place } = current;
    if (!record) {
      problems.push({ key, kind: "malformed", message: current.error ?? "not a record" });
    } else if (record.session !== place.session || record.seq !== place.seq) {
      problems.push({
        key,
        kind: "changed",
        message: `the record says session ${record.session}, seq ${record.seq}; its key says otherwise`,
      });
    }
    if (place.seq > expectedSeq) {
      problems.push({
        key,
        kind: "removed",
        message: `seq ${expectedSeq}${place.seq - 1 > expectedSeq ? `-${place.seq - 1}` : ""} of session ${place.session} is missing`,
      });
    } else if (record && place.seq === expectedSeq) {
      const prev = sameSession && previous ? sha256Hex(previous.text) : GENESIS_PREV;
      if (record.prev !== prev) {
        const culprit = sameSession && previous ? previous.key : key;
        problems.push({ key: culprit, kind: "changed", message: `does not match what ${key} chained onto` });
      }
    }
    previous = current;
  }
  return problems;
}

interface VersionCount {
  versions: number;
  deleted: boolean;
  /** The oldest version (ListObjectVersions lists a key's newest first): what was written first. */
  first?: string | undefined;
}

// The first version of every record that was overwritten or deleted since.
async function firstVersions(
  store: ObjectStore,
  location: S3Location,
  counts: Map<string, VersionCount>,
): Promise<S3Record[]> {
  const originals: S3Record[] = [];
  for (const [key, entry] of counts) {
    const place = parseRecordKey(location, key);
    if (!place || entry.first === undefined || (entry.versions < 2 && !entry.deleted)) continue;
    const text = (await store.get(key, entry.first)) ?? "";
    const parsed = parseLogLine(text);
    originals.push({
      key,
      place,
      text,
      record: parsed.ok ? parsed.record : undefined,
      ...(parsed.ok ? {} : { error: parsed.error }),
    });
  }
  return originals;
}

// The current records, each overwritten or deleted one replaced by its first version.
function withFirstVersions(current: S3Record[], originals: S3Record[]): S3Record[] {
  const byKey = new Map(originals.map((record) => [record.key, record]));
  const kept = current.map((record) => byKey.get(record.key) ?? record);
  const present = new Set(current.map((record) => record.key));
  return [...kept, ...originals.filter((record) => !present.has(record.key))];
}

// Every version under the layout, counted per key; yields the keys whose latest version is a record.
async function* currentRecords(
  store: ObjectStore,
  location: S3Location,
  counts: Map<string, VersionCount>,
): AsyncGenerator<ListedRecord> {
  for await (const version of store.listVersions(`${location.prefix}${LAYOUT}/`)) {
    const place = parseRecordKey(location, version.key);
    if (!place) continue;
    const entry = counts.get(version.key) ?? { versions: 0, deleted: false };
    if (version.deleteMarker) entry.deleted = true;
    else {
      entry.versions += 1;
      entry.first = version.versionId;
    }
    counts.set(version.key, entry);
    if (version.isLatest && !version.deleteMarker) yield { key: version.key, place };
  }
}

// Keys with more than one version, or a delete marker: with If-None-Match nothing of ours ever
// writes a key twice, so each is someone's overwrite or deletion.
function versionProblems(counts: Map<string, VersionCount>): S3VerifyProblem[] {
  const problems: S3VerifyProblem[] = [];
  for (const [key, entry] of counts) {
    if (entry.deleted)
      problems.push({
        key,
        kind: "deleted",
        message: "a delete marker hides the record (S3 keeps its versions)",
      });
    if (entry.versions > 1)
      problems.push({
        key,
        kind: "overwritten",
        message: `${entry.versions} versions: the record was written over after it was logged`,
      });
  }
  return problems;
}
