import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/audit/chain.js";
import type { SessionEvent } from "../../src/audit/events.js";
import type { ObjectStore, ObjectVersionInfo } from "../../src/audit/object-store.js";
import { daysBetween, parseRecordKey, recordKey } from "../../src/audit/s3-keys.js";
import { formatS3Location, parseS3Location } from "../../src/audit/s3-location.js";
import { readS3Log } from "../../src/audit/s3-read-log.js";
import { S3SessionLog } from "../../src/audit/s3-session-log.js";
import { verifyS3Log } from "../../src/audit/s3-verify-log.js";
import { createSpool } from "../../src/audit/spool.js";
import { parseLogRetention } from "../../src/cli/log-retention.js";
import { sessionEvents } from "./fixtures/events.js";

// The S3 log's core against an in-memory bucket that keeps versions and honours If-None-Match
// as S3 does; the adapter and the sandbox's S3 are tested over HTTP in test/e2e/s3-log.test.ts.

function memoryStore() {
  // A single-part PutObject's ETag without SSE-KMS: the body's MD5, quoted.
  let etagOf = (body: string) => `"${createHash("md5").update(body).digest("hex")}"`;
  const versions = new Map<string, Array<{ body: string | undefined; id: string }>>();
  let ids = 0;
  let failing = false;
  const gets: string[] = [];
  const latest = (key: string) => versions.get(key)?.at(-1);
  const store: ObjectStore = {
    putNew: async (key, body) => {
      if (failing) throw new Error("connect ECONNREFUSED");
      if (latest(key)?.body !== undefined) return "exists";
      versions.set(key, [...(versions.get(key) ?? []), { body, id: String(++ids) }]);
      return "written";
    },
    get: async (key, versionId) => {
      gets.push(key);
      const list = versions.get(key) ?? [];
      return versionId ? list.find((v) => v.id === versionId)?.body : list.at(-1)?.body;
    },
    list: async function* (prefix) {
      for (const key of [...versions.keys()].sort()) {
        const body = latest(key)?.body;
        if (key.startsWith(prefix) && body !== undefined) yield { key, etag: etagOf(body) };
      }
    },
    listVersions: async function* (prefix): AsyncGenerator<ObjectVersionInfo> {
      // In key order, newest first within a key, as ListObjectVersions answers.
      for (const key of [...versions.keys()].sort()) {
        if (!key.startsWith(prefix)) continue;
        const list = versions.get(key) ?? [];
        for (const [index, v] of [...list.entries()].reverse()) {
          yield {
            key,
            versionId: v.id,
            isLatest: index === list.length - 1,
            deleteMarker: v.body === undefined,
            lastModified: undefined,
            ...(v.body === undefined ? {} : { etag: etagOf(v.body) }),
          };
        }
      }
    },
  };
  return {
    store,
    overwrite: (key: string, body: string) => versions.get(key)?.push({ body, id: String(++ids) }),
    /** An unversioned bucket's overwrite: the one version replaced. */
    replace: (key: string, body: string) => versions.set(key, [{ body, id: String(++ids) }]),
    /** An unversioned bucket's delete: nothing left. */
    erase: (key: string) => versions.delete(key),
    remove: (key: string) => versions.get(key)?.push({ body: undefined, id: String(++ids) }),
    fail: (value: boolean) => {
      failing = value;
    },
    keys: () => [...versions.keys()].sort(),
    /** The keys read with GET since the last call. */
    takeGets: () => gets.splice(0),
    /** ETags that are not the MD5 of the body, as with SSE-KMS. */
    hideMd5: () => {
      etagOf = (body: string) => `"${createHash("sha1").update(body).digest("hex")}"`;
    },
  };
}

const location = parseS3Location("s3://session-log/ci");
const clock = { now: () => Date.UTC(2025, 5, 1, 12) };
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function writeSession(store: ObjectStore, session = "k3j9x0a2mqzp") {
  const log = new S3SessionLog({ store, location, clock });
  for (const event of sessionEvents(session)) await log.append(event);
  await log.flush();
  return log;
}

describe("S3 log locations and keys", () => {
  it("parses s3://BUCKET/PREFIX with or without the last slash, and refuses what is not one", () => {
    expect(location).toEqual({ bucket: "session-log", prefix: "ci/" });
    expect(parseS3Location("s3://b-1.x")).toEqual({ bucket: "b-1.x", prefix: "" });
    expect(formatS3Location(location)).toBe("s3://session-log/ci/");
    expect(() => parseS3Location("s3://Bad_Bucket/x")).toThrow(
      '"s3://Bad_Bucket/x" is not an S3 log location',
    );
  });

  it("lays records out by day and session, with seq numbers that sort", () => {
    const key = recordKey(location, { day: "2025/06/01", session: "abc", seq: 12 });
    expect(key).toBe("ci/v1/2025/06/01/abc/000012.json");
    expect(parseRecordKey(location, key)).toEqual({ day: "2025/06/01", session: "abc", seq: 12 });
    expect(parseRecordKey(location, "ci/other/x.json")).toBeUndefined();
    expect(daysBetween(new Date("2025-05-30T23:00:00Z"), new Date("2025-06-01T01:00:00Z"))).toEqual([
      "2025/05/30",
      "2025/05/31",
      "2025/06/01",
    ]);
  });

  it("reads TASKACCESS_LOG_RETENTION as MODE:DAYS", () => {
    expect(parseLogRetention("COMPLIANCE:400")).toEqual({ mode: "COMPLIANCE", days: 400 });
    expect(parseLogRetention(undefined)).toBeUndefined();
    expect(() => parseLogRetention("FOREVER")).toThrow(
      'the log retention "FOREVER" (--log-retention, TASKACCESS_LOG_RETENTION) is not MODE:DAYS',
    );
  });
});

describe("S3SessionLog", () => {
  it("writes each record as its own object, chained per session, and reads them back in order", async () => {
    const bucket = memoryStore();
    await writeSession(bucket.store, "aaaaaaaaaaaa");
    await writeSession(bucket.store, "bbbbbbbbbbbb");
    const read = await readS3Log(bucket.store, location, { now: clock.now });
    const events = sessionEvents("aaaaaaaaaaaa");
    expect(read).toHaveLength(events.length * 2);
    expect(read.slice(0, events.length).map((r) => [r.record?.seq, r.record?.event])).toEqual(
      events.map((event, index) => [index + 1, event.event]),
    );
    expect(read[1]?.record?.prev).toBe(sha256Hex(read[0]?.text ?? ""));
    expect(await verifyS3Log(bucket.store, location, { now: clock.now })).toEqual({
      ok: true,
      sessions: 2,
      records: events.length * 2,
      problems: [],
    });
  });

  it("adds to a session it did not start by reading its last record, and retries past a concurrent writer", async () => {
    const bucket = memoryStore();
    await writeSession(bucket.store);
    const revoked = sessionEvents().find((e) => e.event === "session.revoked") as SessionEvent;
    const later = new S3SessionLog({
      store: bucket.store,
      location,
      clock,
      dayOfSession: () => "2025/06/01",
    });
    const other = new S3SessionLog({
      store: bucket.store,
      location,
      clock,
      dayOfSession: () => "2025/06/01",
    });
    const [a, b] = await Promise.all([later.append(revoked), other.append(revoked)]);
    expect(new Set([a.seq, b.seq])).toEqual(
      new Set([sessionEvents().length + 1, sessionEvents().length + 2]),
    );
    expect((await verifyS3Log(bucket.store, location, { now: clock.now })).ok).toBe(true);
  });

  it("stops on a write-ahead record S3 will not take, and spools a later one for the next command", async () => {
    const bucket = memoryStore();
    const dir = mkdtempSync(join(tmpdir(), "taskaccess-spool-"));
    dirs.push(dir);
    const spool = createSpool(dir);
    const warnings: string[] = [];
    const log = new S3SessionLog({
      store: bucket.store,
      location,
      clock,
      spool,
      warn: (m) => warnings.push(m),
    });
    const [start, ready, issued] = sessionEvents();
    bucket.fail(true);
    await expect(log.append(start as SessionEvent)).rejects.toThrow(
      "could not write session.start to the session log s3://session-log/ci/: connect ECONNREFUSED",
    );
    bucket.fail(false);
    await log.append(start as SessionEvent);
    bucket.fail(true);
    // Not a write-ahead record: chained at once, sent in the background, spooled when S3 refuses.
    await expect(log.append(ready as SessionEvent)).resolves.toMatchObject({ seq: 2 });
    await log.flush();
    expect(warnings[0]).toMatch(/^S3 did not take revocation\.ready \(connect ECONNREFUSED\); kept in /);
    await expect(log.append(issued as SessionEvent)).rejects.toThrow(
      "could not write credentials.issued to the session log",
    );
    expect(readdirSync(join(dir, "session-log"))).toHaveLength(1);
    bucket.fail(false);
    expect(await spool.flush("session-log", bucket.store)).toEqual({ sent: 1, left: 0 });
    expect(bucket.keys().map((key) => key.replace(/^.*\//, ""))).toEqual(["000001.json", "000002.json"]);
    expect(readdirSync(join(dir, "session-log"))).toHaveLength(0);
  });
});

describe("verifyS3Log", () => {
  it("names an overwritten and a deleted record, and checks the chain with their first versions", async () => {
    const bucket = memoryStore();
    await writeSession(bucket.store);
    const keys = bucket.keys();
    const [, , third, , fifth] = keys;
    if (!third || !fifth) throw new Error("too few records");
    bucket.overwrite(third, (await bucket.store.get(third))?.replace('"deploy"', '"other"') ?? "");
    bucket.remove(fifth);
    const result = await verifyS3Log(bucket.store, location, { now: clock.now });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      {
        key: third,
        kind: "overwritten",
        message: "2 versions: the record was written over after it was logged",
      },
      { key: fifth, kind: "deleted", message: "a delete marker hides the record (S3 keeps its versions)" },
    ]);
  });

  it("names a removed record (no versions to go back to) and a changed one", async () => {
    const bucket = memoryStore();
    await writeSession(bucket.store);
    const [, second, third, fourth, fifth] = bucket.keys();
    if (!second || !third || !fourth || !fifth) throw new Error("too few records");
    // Without versioning: an object written over in place, another gone for good.
    bucket.replace(third, (await bucket.store.get(third))?.replace('"deploy"', '"other"') ?? "");
    bucket.erase(fifth);
    const result = await verifyS3Log(bucket.store, location, { now: clock.now });
    expect(result.problems).toEqual([
      { key: third, kind: "changed", message: `does not match what ${fourth} chained onto` },
      {
        key: expect.stringMatching(/000006\.json$/),
        kind: "removed",
        message: "seq 5 of session k3j9x0a2mqzp is missing",
      },
    ]);
  });
});

describe("session bundles", () => {
  const verify = (store: ObjectStore) => verifyS3Log(store, location, { now: clock.now });

  it("are written beside a run's records at session.end and read instead of them", async () => {
    const bucket = memoryStore();
    await writeSession(bucket.store, "aaaaaaaaaaaa");
    await writeSession(bucket.store, "bbbbbbbbbbbb");
    expect(bucket.keys().filter((key) => key.endsWith("/bundle.json"))).toEqual([
      "ci/v1/2025/06/01/aaaaaaaaaaaa/bundle.json",
      "ci/v1/2025/06/01/bbbbbbbbbbbb/bundle.json",
    ]);
    bucket.takeGets();
    const result = await verify(bucket.store);
    expect(result).toEqual({ ok: true, sessions: 2, records: sessionEvents().length * 2, problems: [] });
    expect(bucket.takeGets().sort()).toEqual([
      "ci/v1/2025/06/01/aaaaaaaaaaaa/bundle.json",
      "ci/v1/2025/06/01/bbbbbbbbbbbb/bundle.json",
    ]);
    const read = await readS3Log(bucket.store, location, { now: clock.now });
    expect(read.map((r) => r.record?.seq)).toEqual(
      [...sessionEvents().keys(), ...sessionEvents().keys()].map((i) => i + 1),
    );
    expect(bucket.takeGets()).toHaveLength(2);
  });

  it("cannot hide a record changed in place: its ETag is not the bundle's copy, so it is read", async () => {
    const bucket = memoryStore();
    await writeSession(bucket.store);
    const [, second, third] = bucket.keys();
    if (!second || !third) throw new Error("too few records");
    bucket.replace(second, (await bucket.store.get(second))?.replace('"deploy"', '"other"') ?? "");
    bucket.takeGets();
    const result = await verify(bucket.store);
    expect(result.problems).toEqual([
      { key: second, kind: "changed", message: `does not match what ${third} chained onto` },
    ]);
    expect(bucket.takeGets().sort()).toEqual([second, "ci/v1/2025/06/01/k3j9x0a2mqzp/bundle.json"].sort());
  });

  it("cannot stand in for a record that is gone, nor vouch for a bundle that lies", async () => {
    const bucket = memoryStore();
    await writeSession(bucket.store);
    const keys = bucket.keys();
    const bundle = keys.find((key) => key.endsWith("/bundle.json")) ?? "";
    const [, , third] = keys;
    if (!third) throw new Error("too few records");
    bucket.erase(third);
    // A bundle whose every copy is altered: none matches an ETag, so every record is read.
    const lying = (await bucket.store.get(bundle))?.replaceAll("deploy", "other") ?? "";
    bucket.replace(bundle, lying);
    bucket.takeGets();
    const result = await verify(bucket.store);
    expect(result.problems).toEqual([
      {
        key: expect.stringMatching(/000004\.json$/),
        kind: "removed",
        message: "seq 3 of session k3j9x0a2mqzp is missing",
      },
    ]);
    expect(bucket.takeGets()).toHaveLength(sessionEvents().length);
  });

  it("give way to one GET a record when ETags are not MD5s (SSE-KMS), with the same result", async () => {
    const bucket = memoryStore();
    await writeSession(bucket.store);
    bucket.hideMd5();
    bucket.takeGets();
    expect(await verify(bucket.store)).toEqual({
      ok: true,
      sessions: 1,
      records: sessionEvents().length,
      problems: [],
    });
    expect(bucket.takeGets()).toHaveLength(sessionEvents().length + 1);
  });

  it("serve an overwritten record's first version, which is what the chain is checked with", async () => {
    const bucket = memoryStore();
    await writeSession(bucket.store);
    const [, , third] = bucket.keys();
    if (!third) throw new Error("too few records");
    bucket.overwrite(third, "{}");
    bucket.takeGets();
    const result = await verify(bucket.store);
    expect(result.problems).toEqual([
      {
        key: third,
        kind: "overwritten",
        message: "2 versions: the record was written over after it was logged",
      },
    ]);
    expect(bucket.takeGets()).toEqual(["ci/v1/2025/06/01/k3j9x0a2mqzp/bundle.json"]);
  });
});
