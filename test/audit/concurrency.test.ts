import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifySessionLog } from "../../src/audit/index.js";

const REPO_ROOT = resolve(import.meta.dirname, "../..");
const SCRIPT = join(import.meta.dirname, "fixtures", "append-events.ts");
const WORKERS = 20;
const EACH = 25;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "taskaccess-concurrency-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Worker {
  ready: Promise<void>;
  done: Promise<{ code: number | null; stderr: string }>;
  go: () => void;
}

function startWorker(logPath: string, id: number): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, logPath, String(id), String(EACH)], {
    cwd: REPO_ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const ready = new Promise<void>((resolveReady, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (chunk.includes("ready")) resolveReady();
    });
    child.on("exit", () => reject(new Error(`worker ${id} exited before it was ready: ${stderr}`)));
  });
  const done = new Promise<{ code: number | null; stderr: string }>((resolveDone) => {
    child.on("close", (code) => resolveDone({ code, stderr }));
  });
  return { ready, done, go: () => child.stdin.end("go\n") };
}

describe("SessionLog across processes", () => {
  it(`${WORKERS} processes appending ${EACH} events each at once lose and interleave nothing`, async () => {
    const logPath = join(dir, "sessions.jsonl");
    const workers = Array.from({ length: WORKERS }, (_, id) => startWorker(logPath, id));
    await Promise.all(workers.map((worker) => worker.ready));
    for (const worker of workers) worker.go();
    const results = await Promise.all(workers.map((worker) => worker.done));
    expect(results.filter((result) => result.code !== 0)).toEqual([]);

    const text = readFileSync(logPath, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const records = text
      .slice(0, -1)
      .split("\n")
      .map((line) => JSON.parse(line) as { seq: number; session: string; argv: string[] });
    expect(records).toHaveLength(WORKERS * EACH);
    expect(records.map((record) => record.seq)).toEqual(
      Array.from({ length: WORKERS * EACH }, (_, i) => i + 1),
    );
    // Every worker's events are all there, in the order that worker wrote them.
    for (let id = 0; id < WORKERS; id++) {
      const mine = records
        .filter((record) => record.session === `worker-${id}`)
        .map((record) => record.argv[2]);
      expect(mine).toEqual(Array.from({ length: EACH }, (_, index) => String(index)));
    }
    const verified = await verifySessionLog(logPath);
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);
    expect(verified.lines).toBe(WORKERS * EACH);
  }, 120_000);
});
