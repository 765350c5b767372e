import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type SessionEvent, SessionLog, SessionLogError, verifySessionLog } from "../../src/audit/index.js";
import { HOST, sessionEvents, T0 } from "./fixtures/events.js";

let dir: string;
let path: string;
/** The six lines of a valid log, without newlines. */
let lines: string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "taskaccess-verify-"));
  path = join(dir, "sessions.jsonl");
  const log = await SessionLog.open(path, { host: HOST, clock: { now: () => T0 } });
  for (const event of sessionEvents().slice(0, 6)) await log.append(event as SessionEvent);
  lines = readFileSync(path, "utf8").split("\n").slice(0, -1);
  expect(lines).toHaveLength(6);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const rewrite = (content: string[], ending = "\n") => writeFileSync(path, content.join("\n") + ending);
const line = (n: number) => lines[n - 1] as string;

describe("verifySessionLog", () => {
  it("accepts an untouched log and gives the head hash", async () => {
    expect(await verifySessionLog(path)).toEqual({ ok: true, lines: 6, head: sha256(line(6)), problems: [] });
  });

  it("accepts an empty log", async () => {
    writeFileSync(path, "");
    expect(await verifySessionLog(path)).toEqual({ ok: true, lines: 0, head: "0".repeat(64), problems: [] });
  });

  it("names a line whose content was changed (one byte in line 3 of 6)", async () => {
    const edited = line(3).replace('"task":"deploy"', '"task":"deplox"');
    expect(edited).not.toBe(line(3));
    rewrite([line(1), line(2), edited, line(4), line(5), line(6)]);
    const result = await verifySessionLog(path);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      { line: 3, kind: "changed", message: "line 3 was changed: line 4's prev is not its SHA-256" },
    ]);
  });

  it("names a line whose prev was changed, and its predecessor as the other possibility", async () => {
    const edited = line(3).replace(
      /"prev":"([0-9a-f])/,
      (_, first) => `"prev":"${first === "0" ? "1" : "0"}`,
    );
    expect(edited).not.toBe(line(3));
    rewrite([line(1), line(2), edited, line(4), line(5), line(6)]);
    expect((await verifySessionLog(path)).problems).toEqual([
      {
        line: 2,
        kind: "changed",
        message: "line 2 was changed, or the prev of line 3 was: line 3's prev is not the SHA-256 of line 2",
      },
      { line: 3, kind: "changed", message: "line 3 was changed: line 4's prev is not its SHA-256" },
    ]);
  });

  it("names a line whose seq was changed", async () => {
    rewrite([line(1), line(2), line(3).replace('"seq":3,', '"seq":30,'), line(4), line(5), line(6)]);
    expect((await verifySessionLog(path)).problems).toEqual([
      { line: 3, kind: "changed", message: "line 3 was changed: its seq is 30 where 3 was expected" },
    ]);
  });

  it("reports a removed line where it was", async () => {
    rewrite([line(1), line(2), line(4), line(5), line(6)]);
    expect(await verifySessionLog(path)).toEqual({
      ok: false,
      lines: 5,
      head: sha256(line(6)),
      problems: [{ line: 3, kind: "removed", message: "1 line removed before line 3" }],
    });
  });

  it("counts several removed lines, also at the start", async () => {
    rewrite([line(1), line(4), line(5), line(6)]);
    expect((await verifySessionLog(path)).problems).toEqual([
      { line: 2, kind: "removed", message: "2 lines removed before line 2" },
    ]);
    rewrite([line(3), line(4), line(5), line(6)]);
    expect((await verifySessionLog(path)).problems).toEqual([
      { line: 1, kind: "removed", message: "2 lines removed before line 1" },
    ]);
  });

  it("names the out-of-order line of two swapped lines", async () => {
    rewrite([line(1), line(2), line(4), line(3), line(5), line(6)]);
    expect((await verifySessionLog(path)).problems).toEqual([
      { line: 4, kind: "reordered", message: "line 4 is out of order: seq 3 comes after seq 4 (line 3)" },
    ]);
  });

  it("names one line moved far from its place", async () => {
    rewrite([line(1), line(5), line(2), line(3), line(4), line(6)]);
    expect((await verifySessionLog(path)).problems).toEqual([
      { line: 2, kind: "reordered", message: "line 2 is out of order: seq 5 comes before seq 2 (line 3)" },
    ]);
  });

  it("names an inserted copy of a line", async () => {
    rewrite([line(1), line(2), line(3), line(4), line(2), line(5), line(6)]);
    expect((await verifySessionLog(path)).problems).toEqual([
      { line: 5, kind: "changed", message: "line 5 repeats seq 2 of line 2: a line was inserted or copied" },
    ]);
  });

  it("reports a malformed line with its number, and nothing else", async () => {
    rewrite([line(1), line(2), "this is not json", line(4), line(5), line(6)]);
    expect((await verifySessionLog(path)).problems).toEqual([
      {
        line: 3,
        kind: "malformed",
        message: `line 3 is malformed: not JSON (${jsonError("this is not json")})`,
      },
    ]);
  });

  it("reports a line that is JSON but not a record as malformed", async () => {
    rewrite([
      line(1),
      line(2),
      JSON.stringify({ ...JSON.parse(line(3)), prev: "nope" }),
      line(4),
      line(5),
      line(6),
    ]);
    expect((await verifySessionLog(path)).problems).toEqual([
      { line: 3, kind: "malformed", message: "line 3 is malformed: prev is not a SHA-256 in lowercase hex" },
    ]);
  });

  it("reports an incomplete last line, and heads the chain at the last complete one", async () => {
    writeFileSync(path, `${lines.slice(0, 5).join("\n")}\n${line(6).slice(0, 40)}`);
    expect(await verifySessionLog(path)).toEqual({
      ok: false,
      lines: 6,
      head: sha256(line(5)),
      problems: [
        {
          line: 6,
          kind: "incomplete",
          message: "line 6 is incomplete: it has no newline (a write was cut short)",
        },
      ],
    });
  });

  it("cannot see a change to the last line: only the head differs (the documented limit)", async () => {
    const edited = line(6).replace('"task":"deploy"', '"task":"deplox"');
    rewrite([...lines.slice(0, 5), edited]);
    const result = await verifySessionLog(path);
    expect(result.ok).toBe(true);
    expect(result.head).toBe(sha256(edited));
    expect(result.head).not.toBe(sha256(line(6)));
  });

  it("says clearly when there is no log", async () => {
    const missing = join(dir, "missing.jsonl");
    const error = await verifySessionLog(missing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SessionLogError);
    expect((error as SessionLogError).message).toBe(`no session log at ${missing}`);
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  return "";
}
