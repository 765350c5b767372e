import { createReadStream } from "node:fs";
import { SessionLogError } from "./session-log-error.js";

const NEWLINE = 0x0a;
/** A session log line is a few kilobytes; anything near this is not a session log. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export interface RawLine {
  /** 1-based line number. */
  number: number;
  /** The line's exact bytes without the newline (a view into a chunk: copy it to keep it). */
  bytes: Buffer;
  /** False only for a last line that has no newline after it. */
  terminated: boolean;
}

export interface ReadRawLinesOptions {
  /** Bytes read at a time. */
  chunkSize?: number;
}

// Splits a file into lines by bytes, not characters: the chain hashes exact bytes, and only a byte
// reader can tell whether the last line has its newline (readline cannot, and it also splits on \r).
// Yields the lines of each chunk together so that per-line work stays synchronous and fast.
export async function* readRawLines(
  path: string,
  options: ReadRawLinesOptions = {},
): AsyncGenerator<RawLine[]> {
  const stream = createReadStream(path, { highWaterMark: options.chunkSize ?? 1024 * 1024 });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const batch: RawLine[] = [];
      let start = 0;
      for (;;) {
        const end = chunk.indexOf(NEWLINE, start);
        if (end === -1) break;
        let bytes = chunk.subarray(start, end);
        if (pending.length > 0) {
          pending.push(bytes);
          bytes = Buffer.concat(pending, pendingBytes + bytes.length);
          pending = [];
          pendingBytes = 0;
        }
        number += 1;
        batch.push({ number, bytes, terminated: true });
        start = end + 1;
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > MAX_LINE_BYTES) {
          throw new SessionLogError(
            `${path}: line ${number + 1} is longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB, so this is not a session log`,
            { path, hint: "check the path given with --log or TASKACCESS_LOG" },
          );
        }
      }
      if (batch.length > 0) yield batch;
    }
  } catch (error) {
    throw describeReadError(path, error);
  } finally {
    stream.destroy();
  }
  if (pendingBytes > 0) {
    yield [{ number: number + 1, bytes: Buffer.concat(pending, pendingBytes), terminated: false }];
  }
}

// Turns an fs error into one a reviewer can act on.
export function describeReadError(path: string, error: unknown): unknown {
  if (error instanceof SessionLogError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") {
    return new SessionLogError(`no session log at ${path}`, {
      path,
      hint: "give the log with --log or TASKACCESS_LOG; taskaccess run creates it",
      cause: error,
    });
  }
  if (code === "EISDIR") {
    return new SessionLogError(`${path} is a directory, not a session log`, { path, cause: error });
  }
  return new SessionLogError(`cannot read the session log ${path}: ${(error as Error).message}`, {
    path,
    hint: "check that the file is readable by you",
    cause: error,
  });
}
