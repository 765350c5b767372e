import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type LogLine, readSessionLog, type SessionEvent, SessionLog } from "../../src/audit/index.js";
import { HOST, sessionEvents, T0 } from "./fixtures/events.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "taskaccess-read-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("readSessionLog", () => {
  it("reads records and reports bad lines with their numbers without stopping", async () => {
    const path = join(dir, "sessions.jsonl");
    const log = await SessionLog.open(path, { host: HOST, clock: { now: () => T0 } });
    await log.append(sessionEvents()[0] as SessionEvent);
    writeFileSync(path, '[1,2]\n{"v":2}\r\n', { flag: "a" });
    await log.append(sessionEvents()[6] as SessionEvent).catch(() => undefined); // refused: line 3 is not a record
    writeFileSync(path, '{"v":1,"seq":4', { flag: "a" });
    const lines: LogLine[] = [];
    for await (const line of readSessionLog(path)) lines.push(line);
    expect(
      lines.map((line) => (line.ok ? `${line.line} ${line.record.event}` : `${line.line} ${line.error}`)),
    ).toEqual([
      "1 session.start",
      "2 not a JSON object",
      "3 unknown format version 2",
      "4 incomplete: the last line has no newline (a write was cut short)",
    ]);
    const last = lines[3];
    expect(last?.ok === false && last.text).toBe('{"v":1,"seq":4');
  });

  it("splits lines on \\n only, across read chunks", async () => {
    const path = join(dir, "sessions.jsonl");
    const log = await SessionLog.open(path, { host: HOST, clock: { now: () => T0 } });
    const big = { ...(sessionEvents()[0] as SessionEvent), argv: ["y".repeat(3_000_000)] } as SessionEvent;
    await log.append(big);
    await log.append(sessionEvents()[1] as SessionEvent);
    const seqs: number[] = [];
    for await (const line of readSessionLog(path)) if (line.ok) seqs.push(line.record.seq);
    expect(seqs).toEqual([1, 2]);
  });
});
