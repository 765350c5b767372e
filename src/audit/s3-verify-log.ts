import { GENESIS_PREV, sha256Hex } from "./chain.js";
import type { ObjectStore } from "./object-store.js";
import { LAYOUT, parseBundleKey, parseRecordKey } from "./s3-keys.js";
import type { S3Location } from "./s3-location.js";
import {
  fetchRecords,
  groupByFolder,
  type ListedSession,
  type S3Record,
  sortByStartThenSeq,
} from "./s3-read-log.js";

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
  // One listing of every version serves both checks: the versions of each key, and the version of
  // each record to read (its first), read a session folder at a time as the listing goes on.
  const versions = new Map<string, VersionCount>();
  const records = sortByStartThenSeq(await fetchRecords(store, firstRecords(store, location, versions)));
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
  /** That version's ETag. */
  firstEtag?: string | undefined;
}

// Every version under the layout, counted per key; yields each session folder with the version of
// each record to read: its first, which stands in the chain for a record overwritten or deleted
// since, so that the chain says whether the log as written is whole and the overwrite or deletion
// is named once, where it happened. A bundle's newest version is read, if it has one.
async function* firstRecords(
  store: ObjectStore,
  location: S3Location,
  counts: Map<string, VersionCount>,
): AsyncGenerator<ListedSession> {
  for await (const folder of groupByFolder(store.listVersions(`${location.prefix}${LAYOUT}/`))) {
    const session: ListedSession = { records: [] };
    for (const version of folder) {
      if (parseBundleKey(location, version.key) !== undefined) {
        if (version.isLatest && !version.deleteMarker) session.bundle = version.key;
        continue;
      }
      if (!parseRecordKey(location, version.key)) continue;
      const entry = counts.get(version.key) ?? { versions: 0, deleted: false };
      if (version.deleteMarker) entry.deleted = true;
      else {
        entry.versions += 1;
        entry.first = version.versionId;
        entry.firstEtag = version.etag;
      }
      counts.set(version.key, entry);
    }
    for (const key of new Set(folder.map((version) => version.key))) {
      const place = parseRecordKey(location, key);
      const entry = counts.get(key);
      if (!place || entry?.first === undefined) continue;
      const rewritten = entry.versions > 1 || entry.deleted;
      session.records.push({
        key,
        place,
        etag: entry.firstEtag,
        ...(rewritten ? { versionId: entry.first } : {}),
      });
    }
    yield session;
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
