import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chainEvent,
  GENESIS_PREV,
  type SessionEvent,
  sha256Hex,
  verifySessionLog,
} from "../../src/audit/index.js";
import { sessionEvents } from "./fixtures/events.js";

const LENGTH = 12;
let dir: string;
let original: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "taskaccess-verify-property-"));
  const events = [...sessionEvents("aaaaaaaaaaaa"), ...sessionEvents("bbbbbbbbbbbb")].slice(0, LENGTH);
  original = [];
  let prev = GENESIS_PREV;
  events.forEach((event, index) => {
    const { text } = chainEvent(event as SessionEvent, index + 1, prev);
    original.push(text);
    prev = sha256Hex(text);
  });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

type Edit =
  | { op: "delete"; at: number }
  | { op: "swap"; at: number; with: number }
  | { op: "copy"; at: number; to: number }
  | { op: "flip"; at: number; offset: number; char: string };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("swap" as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ op: fc.constant("copy" as const), at: fc.nat(), to: fc.nat() }),
  fc.record({
    op: fc.constant("flip" as const),
    at: fc.nat(),
    offset: fc.nat(),
    char: fc.constantFrom("0", "1", "a", "f", "x", "}", '"', ",", " "),
  }),
);

function apply(lines: string[], change: Edit): string[] {
  const result = [...lines];
  if (result.length === 0) return result;
  const at = change.at % result.length;
  switch (change.op) {
    case "delete":
      result.splice(at, 1);
      break;
    case "swap": {
      const other = change.with % result.length;
      [result[at], result[other]] = [result[other] as string, result[at] as string];
      break;
    }
    case "copy":
      result.splice(change.to % (result.length + 1), 0, result[at] as string);
      break;
    case "flip": {
      const line = result[at] as string;
      const offset = change.offset % line.length;
      result[at] = line.slice(0, offset) + change.char + line.slice(offset + 1);
      break;
    }
  }
  return result;
}

const isPrefixOfOriginal = (lines: string[]) => lines.every((line, index) => line === original[index]);

describe("verifySessionLog on random tampering", () => {
  it("never throws, and flags every change that does not only touch or cut the end of the log", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
        const tampered = edits.reduce(apply, original);
        const path = join(dir, `log-${run++}.jsonl`);
        writeFileSync(path, tampered.length === 0 ? "" : `${tampered.join("\n")}\n`);
        const result = await verifySessionLog(path);
        expect(result.lines).toBe(tampered.length);
        expect(result.ok).toBe(result.problems.length === 0);
        for (const problem of result.problems) {
          expect(problem.line).toBeGreaterThanOrEqual(1);
          expect(problem.line).toBeLessThanOrEqual(tampered.length);
        }
        // The documented limit: a cut-off end, or a change to the last line, is only visible in the head.
        const undetectable = isPrefixOfOriginal(tampered) || isPrefixOfOriginal(tampered.slice(0, -1));
        if (!undetectable) expect(result.ok).toBe(false);
        if (isPrefixOfOriginal(tampered)) expect(result.ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
