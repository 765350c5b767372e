import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  GENESIS_PREV,
  type LogLine,
  readSessionLog,
  type SessionEvent,
  SessionLog,
  SessionLogError,
  verifySessionLog,
} from "../../src/audit/index.js";
import { ExitCode } from "../../src/errors.js";
import { HOST, sessionEvents, T0 } from "./fixtures/events.js";

const options = { host: HOST, clock: { now: () => T0 } };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "taskaccess-audit-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function sha256(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function fileLines(path: string): Buffer[] {
  const bytes = readFileSync(path);
  const lines: Buffer[] = [];
  let start = 0;
  for (let end = bytes.indexOf(10); end !== -1; end = bytes.indexOf(10, start)) {
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  expect(start).toBe(bytes.length);
  return lines;
}

async function collect(path: string): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of readSessionLog(path)) lines.push(line);
  return lines;
}

async function rejection(
  promise: Promise<unknown>,
  exitCode: number = ExitCode.internal,
): Promise<SessionLogError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SessionLogError);
  expect((error as SessionLogError).exitCode).toBe(exitCode);
  return error as SessionLogError;
}

describe("SessionLog", () => {
  it("round-trips: what append returns is what the reader reads, and the chain verifies", async () => {
    const path = join(dir, "sessions.jsonl");
    const log = await SessionLog.open(path, options);
    const events = sessionEvents();
    const written = [];
    for (const event of events) written.push(await log.append(event));
    expect(written.map((record) => record.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const read = await collect(path);
    expect(read).toEqual(written.map((record, index) => ({ line: index + 1, ok: true, record })));
    expect(read.map((line) => (line.ok ? line.record.event : line.error))).toEqual(
      events.map((e) => e.event),
    );
    const lines = fileLines(path);
    expect(await verifySessionLog(path)).toEqual({
      ok: true,
      lines: 10,
      head: sha256(lines[9] as Buffer),
      problems: [],
    });
  });

  it("chains: line 1's prev is 64 zeros, every other prev is the SHA-256 of the previous line's bytes", async () => {
    const path = join(dir, "sessions.jsonl");
    const log = await SessionLog.open(path, options);
    // Non-ASCII text: the hash is over UTF-8 bytes, and U+2028 must not break a line.
    const first = {
      ...(sessionEvents()[0] as SessionEvent),
      reason: "déploiement ✓ \u2028 fin",
    } as SessionEvent;
    await log.append(first);
    for (const event of sessionEvents().slice(1, 4)) await log.append(event);
    const lines = fileLines(path);
    expect(lines).toHaveLength(4);
    expect(GENESIS_PREV).toBe("0".repeat(64));
    const records = lines.map((line) => JSON.parse(line.toString("utf8")) as { seq: number; prev: string });
    expect(records[0]?.prev).toBe(GENESIS_PREV);
    for (let index = 1; index < lines.length; index++) {
      expect(records[index]?.seq).toBe(index + 1);
      expect(records[index]?.prev).toBe(sha256(lines[index - 1] as Buffer));
    }
    expect(lines[0]?.toString("utf8").startsWith(`{"v":1,"seq":1,"prev":"${"0".repeat(64)}",`)).toBe(true);
    expect((await verifySessionLog(path)).ok).toBe(true);
  });

  it("continues the chain of an existing log from a new instance (a new run)", async () => {
    const path = join(dir, "sessions.jsonl");
    const [a, b] = sessionEvents() as [SessionEvent, SessionEvent];
    await (await SessionLog.open(path, options)).append(a);
    const record = await (await SessionLog.open(path, options)).append(b);
    expect(record.seq).toBe(2);
    expect(record.prev).toBe(sha256(fileLines(path)[0] as Buffer));
  });

  it("creates the directory 0700 and the file 0600, and leaves no lock behind", async () => {
    const path = join(dir, "state", "taskaccess", "sessions.jsonl");
    const log = await SessionLog.open(path, options);
    expect(statSync(join(dir, "state", "taskaccess")).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "state")).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path).size).toBe(0);
    await log.append(sessionEvents()[0] as SessionEvent);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it("refuses a log path that is a symbolic link", async () => {
    const real = join(dir, "real.jsonl");
    writeFileSync(real, "", { mode: 0o600 });
    const link = join(dir, "link.jsonl");
    symlinkSync(real, link);
    const error = await rejection(SessionLog.open(link, options));
    expect(error.message).toBe(`the session log ${link} is a symbolic link; refusing to write through it`);
    expect(error.hint).toBe("give the real file with --log / TASKACCESS_LOG");
  });

  it.each([
    [0o660, "its group", "0660"],
    [0o602, "everyone", "0602"],
  ])("refuses a log file with mode %o", async (mode, who, shown) => {
    const path = join(dir, "sessions.jsonl");
    writeFileSync(path, "");
    chmodSync(path, mode);
    const error = await rejection(SessionLog.open(path, options));
    expect(error.message).toBe(
      `the session log ${path} is writable by ${who} (mode ${shown}), so others could edit it`,
    );
    expect(error.hint).toBe(`run chmod 600 ${path}`);
  });

  it("refuses a log that became group-writable after it was opened", async () => {
    const path = join(dir, "sessions.jsonl");
    const log = await SessionLog.open(path, options);
    chmodSync(path, 0o620);
    const error = await rejection(log.append(sessionEvents()[0] as SessionEvent));
    expect(error.message).toContain("is writable by its group (mode 0620)");
    expect(statSync(path).size).toBe(0);
  });

  it("refuses a world-writable directory", async () => {
    const shared = join(dir, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const path = join(shared, "sessions.jsonl");
    const error = await rejection(SessionLog.open(path, options), ExitCode.usage);
    expect(error.message).toBe(
      `the session log directory ${shared} is writable by everyone (mode 0777), so anyone could replace the log`,
    );
    expect(existsSync(path)).toBe(false);
    expect(error.hint).toContain("chmod +t");
  });

  it("accepts a sticky world-writable directory such as /tmp, with a log of its own", async () => {
    const shared = join(dir, "tmp");
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const path = join(shared, "sessions.jsonl");
    const log = await SessionLog.open(path, options);
    await log.append(sessionEvents()[0] as SessionEvent);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    if (process.getuid?.() === 0) {
      // Someone else's file there is refused (root can make one to test with).
      const theirs = join(shared, "theirs.jsonl");
      writeFileSync(theirs, "", { mode: 0o600 });
      chownSync(theirs, 12345, 12345);
      const error = await rejection(SessionLog.open(theirs, options), ExitCode.usage);
      expect(error.message).toContain("belongs to another user (uid 12345)");
    }
  });

  it("refuses to chain onto an incomplete last line, and leaves the file as it was", async () => {
    const path = join(dir, "sessions.jsonl");
    const log = await SessionLog.open(path, options);
    await log.append(sessionEvents()[0] as SessionEvent);
    writeFileSync(path, '{"v":1,"seq":2,"prev":"ab', { flag: "a" });
    const before = readFileSync(path);
    const error = await rejection(log.append(sessionEvents()[1] as SessionEvent));
    expect(error.message).toBe(
      `the session log ${path} ends in an incomplete line (a write was cut short), so nothing can be chained onto it`,
    );
    expect(error.hint).toBe(
      `run \`taskaccess log verify --log ${path}\` to see the damage; keep the file for review and move it aside to start a new log`,
    );
    expect(readFileSync(path)).toEqual(before);
  });

  it("refuses to chain onto a last line that is not a record", async () => {
    const path = join(dir, "sessions.jsonl");
    const log = await SessionLog.open(path, options);
    await log.append(sessionEvents()[0] as SessionEvent);
    writeFileSync(path, "not json\n", { flag: "a" });
    const error = await rejection(log.append(sessionEvents()[1] as SessionEvent));
    expect(error.message).toMatch(
      new RegExp(
        `^the last line of the session log ${path} is not a valid record \\(not JSON .*\\), so nothing can be chained onto it$`,
      ),
    );
  });

  it("reads only the tail: a last line longer than one read chunk is found whole", async () => {
    const path = join(dir, "sessions.jsonl");
    const log = await SessionLog.open(path, options);
    const long = { ...(sessionEvents()[0] as SessionEvent), argv: ["x".repeat(200_000)] } as SessionEvent;
    await log.append(long);
    const record = await log.append(sessionEvents()[1] as SessionEvent);
    expect(record.seq).toBe(2);
    expect(record.prev).toBe(sha256(fileLines(path)[0] as Buffer));
  });

  it("writes nothing for an event carrying a secret", async () => {
    const path = join(dir, "sessions.jsonl");
    const log = await SessionLog.open(path, options);
    const leaky = {
      ...(sessionEvents()[1] as SessionEvent),
      secretAccessKey: "wJalrXUtnFEMI",
    } as unknown as SessionEvent;
    const error = await rejection(log.append(leaky));
    expect(error.message).toBe("refusing to write a secret to the session log: field secretAccessKey");
    expect(readFileSync(path, "utf8")).toBe("");
  });
});
