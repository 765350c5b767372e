import { isSessionEventType, LOG_FORMAT_VERSION, type LogRecord } from "./events.js";
import { readRawLines } from "./line-splitter.js";

const HEX_64 = /^[0-9a-f]{64}$/;
const INCOMPLETE = "incomplete: the last line has no newline (a write was cut short)";

export type ParsedLine = { ok: true; record: LogRecord } | { ok: false; error: string };

// The one definition of a well-formed v1 line, shared by the reader, the verifier and the writer
// (which must know what it chains onto). Checks the common fields, not every event field.
export function parseLogLine(text: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON (${(error as Error).message})` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: "not a JSON object" };
  }
  const line = value as Record<string, unknown>;
  if (line.v !== LOG_FORMAT_VERSION)
    return { ok: false, error: `unknown format version ${JSON.stringify(line.v)}` };
  const seq = line.seq;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) {
    return { ok: false, error: `seq ${JSON.stringify(seq)} is not a positive integer` };
  }
  if (typeof line.prev !== "string" || !HEX_64.test(line.prev)) {
    return { ok: false, error: "prev is not a SHA-256 in lowercase hex" };
  }
  if (!isSessionEventType(line.event))
    return { ok: false, error: `unknown event ${JSON.stringify(line.event)}` };
  if (typeof line.time !== "string") return { ok: false, error: "time is not a string" };
  if (typeof line.session !== "string") return { ok: false, error: "session is not a string" };
  if (typeof line.task !== "string") return { ok: false, error: "task is not a string" };
  if (typeof line.host !== "string") return { ok: false, error: "host is not a string" };
  if (line.caller !== null && typeof line.caller !== "string") {
    return { ok: false, error: "caller is neither a string nor null" };
  }
  return { ok: true, record: line as LogRecord };
}

export type LogLine =
  | { line: number; ok: true; record: LogRecord }
  | {
      line: number;
      ok: false;
      /** Why the line is not a record. */
      error: string;
      /** The line as text (invalid UTF-8 shown as U+FFFD). */
      text: string;
      /** False for a last line cut short without its newline. */
      terminated: boolean;
    };

// Streams the records of a log for display and queries, one line at a time, so a file of
// 100,000 sessions is never one string; a bad line is reported with its number, not thrown.
export async function* readSessionLog(path: string): AsyncGenerator<LogLine> {
  for await (const batch of readRawLines(path)) {
    for (const raw of batch) {
      if (!raw.terminated) {
        const text = raw.bytes.toString("utf8");
        yield { line: raw.number, ok: false, error: INCOMPLETE, text, terminated: false };
        continue;
      }
      const text = raw.bytes.toString("utf8");
      const parsed = parseLogLine(text);
      if (parsed.ok) yield { line: raw.number, ok: true, record: parsed.record };
      else yield { line: raw.number, ok: false, error: parsed.error, text, terminated: true };
    }
  }
}
