import { stat } from "node:fs/promises";
import type { LogRecord } from "../audit/events.js";
import { readSessionLog } from "../audit/read-log.js";
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
export async function loadSessions(path: string): Promise<LoadedSessions> {
  await assertLogFile(path);
  const records: LogRecord[] = [];
  const malformed: { line: number; error: string }[] = [];
  for await (const line of readSessionLog(path)) {
    if (line.ok) records.push(line.record);
    else malformed.push({ line: line.line, error: line.error });
  }
  return { sessions: [...summarizeSessions(records).values()], records, malformed };
}

// A missing log is an error that says where taskaccess looked (an empty answer would hide a wrong
// path); a directory is named as such. Shared by every command that reads the log.
export async function assertLogFile(path: string): Promise<void> {
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
