import * as crypto from "node:crypto";
import {
  assertNoSecrets,
  isSessionEventType,
  LOG_FORMAT_VERSION,
  type LogRecord,
  type SessionEvent,
} from "./events.js";
import { BUG_HINT, SessionLogError } from "./session-log-error.js";

/** The `prev` of line 1: there is no line before it. */
export const GENESIS_PREV = "0".repeat(64);

/** crypto.hash (Node 20.12+) is about 40% faster than createHash for one line; older Node 20 lacks it. */
const oneShotHash = (
  crypto as { hash?: (algorithm: string, data: Uint8Array | string, encoding: "hex") => string }
).hash;

// The chain hash: SHA-256 over a line's exact UTF-8 bytes without its newline, as lowercase hex.
export function sha256Hex(bytes: Uint8Array | string): string {
  if (oneShotHash !== undefined) return oneShotHash("sha256", bytes, "hex");
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

export interface ChainedLine {
  record: LogRecord;
  /** The line's bytes without the newline: what the next line's prev is the hash of. */
  text: string;
}

const CHAIN_KEYS = ["v", "seq", "prev"] as const;

// One place builds a line from an event, so the writer and the benchmark's generator cannot differ:
// checks the event, puts v, seq and prev first, and refuses anything that would break the format.
export function chainEvent(event: SessionEvent, seq: number, prev: string): ChainedLine {
  const untyped: Record<string, unknown> = event;
  if (!isSessionEventType(untyped.event)) {
    throw new SessionLogError(`refusing to log an unknown event type ${JSON.stringify(untyped.event)}`, {
      hint: BUG_HINT,
    });
  }
  for (const key of CHAIN_KEYS) {
    if (Object.hasOwn(untyped, key)) {
      throw new SessionLogError(`refusing to log a ${event.event} event that sets the chain field ${key}`, {
        hint: BUG_HINT,
      });
    }
  }
  const record = { v: LOG_FORMAT_VERSION, seq, prev, ...event } as LogRecord;
  assertNoSecrets(record);
  let text: string;
  try {
    text = JSON.stringify(record);
  } catch (error) {
    throw new SessionLogError(`cannot serialise the ${event.event} event: ${(error as Error).message}`, {
      hint: BUG_HINT,
      cause: error,
    });
  }
  // The record as written (undefined fields dropped), not the caller's object.
  return { record: JSON.parse(text) as LogRecord, text };
}
