import { stat } from "node:fs/promises";
import type { LogRecord } from "../audit/events.js";
import type { ObjectStore } from "../audit/object-store.js";
import { readSessionLog } from "../audit/read-log.js";
import { formatS3Location, isS3Location, parseS3Location } from "../audit/s3-location.js";
import { readS3Log } from "../audit/s3-read-log.js";
import { ExitCode, TaskAccessError } from "../errors.js";
import { type SessionSummary, summarizeSessions } from "./session-summary.js";

export interface LoadedSessions {
  /** In the order they started. */
  sessions: SessionSummary[];
  /** Every well-formed record, in log order. */
  records: LogRecord[];
  /** Lines that are not records (reported, not fatal: `log verify` is the tool for those). */
  malformed: { line: number; error: string }[];
}

// Reads the whole log into session summaries for `log`, `revoke` and `gc`; a missing log is an
// error that says where taskaccess looked, because an empty answer would hide a wrong path.
export async function loadSessions(path: string, source: LogSource = {}): Promise<LoadedSessions> {
  if (isS3Location(path)) return loadS3Sessions(path, source);
  await assertLogFile(path);
  const records: LogRecord[] = [];
  const malformed: { line: number; error: string }[] = [];
  for await (const line of readSessionLog(path)) {
    if (line.ok) records.push(line.record);
    else malformed.push({ line: line.line, error: line.error });
  }
  return { sessions: [...summarizeSessions(records).values()], records, malformed };
}

/** How to reach an S3 log (the CLI's adapter), and how far back to read it. */
export interface LogSource {
  openStore?: ((bucket: string) => ObjectStore) | undefined;
  /** S3 logs only: list only the days from this one (the layout is by day). */
  since?: Date | undefined;
}

// The S3 log's records, every runner's, as the local log's: a record's line number is its place
// in the listing; sessions in the order they started.
async function loadS3Sessions(path: string, source: LogSource): Promise<LoadedSessions> {
  if (!source.openStore) throw new Error(`internal: no S3 client to read ${path}`);
  const location = parseS3Location(path);
  const read = await readS3Log(source.openStore(location.bucket), location, {
    since: source.since,
    now: Date.now,
  });
  // Read whole, an S3 log with no records is no log: a wrong prefix, or a log someone emptied.
  if (read.length === 0 && source.since === undefined) throw noS3Log(path);
  const records: LogRecord[] = [];
  const malformed: { line: number; error: string }[] = [];
  read.forEach((entry, index) => {
    if (entry.record) records.push(entry.record);
    else malformed.push({ line: index + 1, error: `${entry.key}: ${entry.error ?? "not a record"}` });
  });
  return { sessions: [...summarizeSessions(records).values()], records, malformed };
}

// An S3 log with no record at all, as the local log's missing file: where taskaccess looked, and how
// to look there too.
export function noS3Log(path: string): TaskAccessError {
  const records = `${formatS3Location(parseS3Location(path))}v1/`;
  return new TaskAccessError(`no session log at ${path}: nothing under ${records}`, {
    exitCode: ExitCode.usage,
    hint: `check the bucket and prefix (\`aws s3 ls --recursive ${records}\`) in --log, TASKACCESS_LOG or the task file's \`log\`; a run writes its first record there before it asks STS for anything`,
  });
}

// A missing log is an error that says where taskaccess looked (an empty answer would hide a wrong
// path); a directory is named as such. Shared by every command that reads the log.
export async function assertLogFile(path: string): Promise<void> {
  if (isS3Location(path)) return;
  const stats = await stat(path).catch(() => undefined);
  if (!stats) {
    throw new TaskAccessError(`no session log at ${path}`, {
      exitCode: ExitCode.usage,
      hint: "name it with --log PATH or TASKACCESS_LOG, or set `log` in the task file",
    });
  }
  if (!stats.isFile()) {
    throw new TaskAccessError(`the session log ${path} is not a file`, {
      exitCode: ExitCode.usage,
      hint: "--log, TASKACCESS_LOG and the task file's `log` name the log file itself, not its directory",
    });
  }
}
