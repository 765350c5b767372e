import { GENESIS_PREV, sha256Hex } from "./chain.js";
import { readRawLines } from "./line-splitter.js";
import { parseLogLine } from "./read-log.js";

// Known limit: each line is vouched for by the NEXT line's prev, so a change to the last line, or
// the removal of the last lines, cannot be seen from the file alone. `head` (the hash of the last
// line) is what a reviewer keeps elsewhere (CI output, a ticket) to anchor the end of the chain.
// A plain hash chain has no secret either: someone who rewrites every line from the edit onwards
// produces a chain that verifies, with a different head. Anchoring the head is what catches that.

export type VerifyProblemKind = "malformed" | "changed" | "removed" | "reordered" | "incomplete";

export interface VerifyProblem {
  /** 1-based line number in the file as it is now. */
  line: number;
  kind: VerifyProblemKind;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Lines in the file, counting an incomplete last line. */
  lines: number;
  /** SHA-256 of the last complete line (64 zeros for an empty log): the next line's prev. */
  head: string;
  /** In line order. */
  problems: VerifyProblem[];
}

interface Scan {
  lines: number;
  head: string;
  /** seq per line (index = line - 1); NaN for a line that is not a record. */
  seqs: number[];
  /** Lines whose prev is not the hash of the line physically before them. */
  badLinks: number[];
  /** Malformed and incomplete lines, found while scanning. */
  problems: VerifyProblem[];
  inOrder: boolean;
}

// Checks the whole chain in one streaming pass: line N's seq must be N and its prev the SHA-256 of
// line N-1. When that fails, names the culprit: the line that was changed, where lines were
// removed, which line is out of order.
export async function verifySessionLog(path: string): Promise<VerifyResult> {
  const scan = await scanLog(path);
  const problems = scan.inOrder ? scan.problems : explain(scan);
  return { ok: problems.length === 0, lines: scan.lines, head: scan.head, problems };
}

async function scanLog(path: string): Promise<Scan> {
  const seqs: number[] = [];
  const badLinks: number[] = [];
  const problems: VerifyProblem[] = [];
  let previousHash = GENESIS_PREV;
  let head = GENESIS_PREV;
  let lines = 0;
  let inOrder = true;
  for await (const batch of readRawLines(path)) {
    for (const raw of batch) {
      const n = raw.number;
      lines = n;
      const hash = sha256Hex(raw.bytes);
      const parsed = parseLogLine(raw.bytes.toString("utf8"));
      if (!raw.terminated) {
        problems.push({
          line: n,
          kind: "incomplete",
          message: `line ${n} is incomplete: it has no newline (a write was cut short)`,
        });
      } else {
        head = hash;
        if (!parsed.ok)
          problems.push({ line: n, kind: "malformed", message: `line ${n} is malformed: ${parsed.error}` });
      }
      if (parsed.ok) {
        const { seq, prev } = parsed.record;
        seqs.push(seq);
        if (prev !== previousHash) badLinks.push(n);
        if (seq !== n) inOrder = false;
      } else {
        seqs.push(Number.NaN);
      }
      previousHash = hash;
    }
  }
  if (badLinks.length > 0 || problems.length > 0) inOrder = false;
  return { lines, head, seqs, badLinks, problems, inOrder };
}

// The slow path, only for a log that is not in order: works out the most likely story.
// The longest run of lines whose seqs increase (preferring earlier lines) is taken as the lines in
// their place; every other line was moved, inserted or had its seq changed; seqs missing from the
// run and found nowhere are removed lines, unless a malformed or changed line sits in their place.
function explain(scan: Scan): VerifyProblem[] {
  const { seqs } = scan;
  const count = seqs.length;
  const seqOf = (line: number): number => seqs[line - 1] ?? Number.NaN;
  const badLink = new Set(scan.badLinks);
  const linkOk = (line: number): boolean => Number.isFinite(seqOf(line)) && !badLink.has(line);
  const inRun = longestIncreasingRun(seqs);
  const problems: VerifyProblem[] = [...scan.problems];

  const runLines: number[] = [];
  const runLineBySeq = new Map<number, number>();
  for (let line = 1; line <= count; line++) {
    if (inRun[line] === 1) {
      runLines.push(line);
      runLineBySeq.set(seqOf(line), line);
    }
  }
  // Seqs of lines outside the run, and for each gap between run lines how many of its seqs they hold.
  const outsideSeqs = new Set<number>();
  for (let line = 1; line <= count; line++) {
    const seq = seqOf(line);
    if (inRun[line] !== 1 && Number.isFinite(seq) && !runLineBySeq.has(seq)) outsideSeqs.add(seq);
  }
  const runSeqs = runLines.map(seqOf);
  const heldElsewhere = new Array<number>(runLines.length + 1).fill(0);
  for (const seq of outsideSeqs) {
    const gap = upperBound(runSeqs, seq);
    heldElsewhere[gap] = (heldElsewhere[gap] ?? 0) + 1;
  }

  const firstOutsideLine = new Map<number, number>();
  let removedBeforeFirst = false;
  for (let gap = 0; gap <= runLines.length; gap++) {
    const fromLine = gap === 0 ? 0 : (runLines[gap - 1] ?? 0);
    const fromSeq = gap === 0 ? 0 : seqOf(fromLine);
    const toLine = runLines[gap]; // undefined after the last run line: nothing can be missing there
    const toSeq = toLine === undefined ? Number.POSITIVE_INFINITY : seqOf(toLine);
    let holes = toLine === undefined ? 0 : toSeq - fromSeq - 1 - (heldElsewhere[gap] ?? 0);
    const end = toLine ?? count + 1;
    for (let line = fromLine + 1; line < end; line++) {
      const seq = seqOf(line);
      if (!Number.isFinite(seq)) {
        if (holes > 0) holes -= 1; // the malformed line stands in the missing line's place
        continue;
      }
      const expected = Math.min(fromSeq + (line - fromLine), toSeq - 1);
      const repeated = runLineBySeq.get(seq) ?? firstOutsideLine.get(seq);
      if (holes > 0 && linkOk(line)) {
        // It still chains onto the line before it, so it is in its place with its seq edited.
        holes -= 1;
        problems.push({
          line,
          kind: "changed",
          message: `line ${line} was changed: its seq is ${seq} where ${expected} was expected`,
        });
      } else if (repeated !== undefined) {
        problems.push({
          line,
          kind: "changed",
          message: `line ${line} repeats seq ${seq} of line ${repeated}: a line was inserted or copied`,
        });
      } else {
        firstOutsideLine.set(seq, line);
        problems.push({ line, kind: "reordered", message: outOfOrderMessage(line, seq, seqOf) });
      }
    }
    if (holes > 0 && toLine !== undefined) {
      if (end === fromLine + 1 && linkOk(toLine)) {
        // Nothing is between, and the line chains onto its predecessor: its seq was edited.
        problems.push({
          line: toLine,
          kind: "changed",
          message: `line ${toLine} was changed: its seq is ${toSeq} where ${fromSeq + 1} was expected`,
        });
      } else {
        if (toLine === 1) removedBeforeFirst = true;
        problems.push({
          line: toLine,
          kind: "removed",
          message: `${holes} line${holes === 1 ? "" : "s"} removed before line ${toLine}`,
        });
      }
    }
  }

  // A prev that does not match: the line before was changed, when both lines are in their place
  // and their seqs are consecutive (otherwise a removal or a move above explains it).
  const attributable = (line: number): boolean =>
    badLink.has(line) &&
    inRun[line] === 1 &&
    (line === 1 || (inRun[line - 1] === 1 && seqOf(line) === seqOf(line - 1) + 1));
  for (const line of scan.badLinks) {
    if (!attributable(line)) continue;
    if (line === 1) {
      if (!removedBeforeFirst) {
        problems.push({
          line: 1,
          kind: "changed",
          message: "line 1 was changed: its prev is not 64 zeros, the start of the chain",
        });
      }
      continue;
    }
    const culprit = line - 1;
    const alsoNext = attributable(line + 1);
    problems.push({
      line: culprit,
      kind: "changed",
      message: alsoNext
        ? `line ${culprit} was changed, or the prev of line ${line} was: line ${line}'s prev is not the SHA-256 of line ${culprit}`
        : `line ${culprit} was changed: line ${line}'s prev is not its SHA-256`,
    });
  }
  return dedupeAndSort(problems);
}

function outOfOrderMessage(line: number, seq: number, seqOf: (line: number) => number): string {
  const before = seqOf(line - 1);
  if (Number.isFinite(before) && before > seq) {
    return `line ${line} is out of order: seq ${seq} comes after seq ${before} (line ${line - 1})`;
  }
  const after = seqOf(line + 1);
  if (Number.isFinite(after) && after < seq) {
    return `line ${line} is out of order: seq ${seq} comes before seq ${after} (line ${line + 1})`;
  }
  return `line ${line} is out of order: seq ${seq}`;
}

// Marks (index = line number) the lines of a longest strictly increasing run of seqs, preferring
// earlier lines on ties: swapping lines 3 and 4 then blames line 4, where the seq goes backwards.
// Patience sorting, O(n log n), run from the end so that ties resolve towards the start.
function longestIncreasingRun(seqs: readonly number[]): Uint8Array {
  const count = seqs.length;
  const tails: number[] = []; // tails[k]: line ending the best run of length k+1 (in reverse order)
  const tailValues: number[] = [];
  const previous = new Int32Array(count + 1);
  for (let line = count; line >= 1; line--) {
    const seq = seqs[line - 1] ?? Number.NaN;
    if (!Number.isFinite(seq)) continue;
    const value = -seq; // increasing in reverse order = increasing seq in file order
    let low = 0;
    let high = tailValues.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((tailValues[middle] ?? 0) < value) low = middle + 1;
      else high = middle;
    }
    previous[line] = low > 0 ? (tails[low - 1] ?? 0) : 0;
    tails[low] = line;
    tailValues[low] = value;
  }
  const inRun = new Uint8Array(count + 1);
  let line = tails[tails.length - 1] ?? 0;
  while (line > 0) {
    inRun[line] = 1;
    line = previous[line] ?? 0;
  }
  return inRun;
}

/** The index of the first element greater than value in an ascending array. */
function upperBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] ?? 0) <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

const KIND_ORDER: Record<VerifyProblemKind, number> = {
  removed: 0,
  malformed: 1,
  changed: 2,
  reordered: 3,
  incomplete: 4,
};

function dedupeAndSort(problems: VerifyProblem[]): VerifyProblem[] {
  const seen = new Set<string>();
  const unique: VerifyProblem[] = [];
  for (const problem of problems) {
    const key = `${problem.line}:${problem.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(problem);
  }
  return unique.sort((a, b) => a.line - b.line || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
}
