import { createHash } from "node:crypto";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignedGet } from "../../src/aws/s3-fast-get.js";
import { fetchVersionsPage } from "../../src/aws/s3-fast-list.js";
import { createS3ObjectStore } from "../../src/aws/s3-object-store.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import { ADMIN, REGION, s3Client, startTestSandbox, worldWithAdmin } from "../helpers/sandbox.js";

// The S3 log's adapter over HTTP: a plain read takes the signed GET without the SDK's stack (the
// reading of big logs is mostly that stack); anything else (here a refusal) goes the SDK's way and
// comes back as the SDK's error, never as "no such record".

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({ world: worldWithAdmin() });
  const admin = s3Client(sandbox, ADMIN);
  await admin.send(new CreateBucketCommand({ Bucket: "log" }));
  await admin.send(
    new PutObjectCommand({ Bucket: "log", Key: "ci/v1/2026/12/07/abc/000001.json", Body: '{"a":1}' }),
  );
});
afterAll(async () => {
  await sandbox?.close();
});

const store = (secretAccessKey = ADMIN.secretAccessKey) =>
  createS3ObjectStore("log", {
    region: REGION,
    endpoint: sandbox.endpoint,
    credentials: { accessKeyId: ADMIN.accessKeyId, secretAccessKey },
  });

describe("createS3ObjectStore", () => {
  it("reads an object and a missing one with one signed GET each", async () => {
    const before = sandbox.journal.find({ operation: "GetObject" }).length;
    const s = store();
    expect(await s.get("ci/v1/2026/12/07/abc/000001.json")).toBe('{"a":1}');
    expect(await s.get("ci/v1/2026/12/07/abc/000002.json")).toBeUndefined();
    const gets = sandbox.journal.find({ operation: "GetObject" }).slice(before);
    expect(gets.map((entry) => entry.status)).toEqual([200, 404]);
    // No SDK retry or fallback: exactly one request a read.
    expect(gets).toHaveLength(2);
  });

  it("hands a refused read to the SDK, whose error it reports", async () => {
    await expect(
      store("not-the-secret-key-at-all-0000000000000").get("ci/v1/2026/12/07/abc/000001.json"),
    ).rejects.toThrow(
      /^Could not read s3:\/\/log\/ci\/v1\/2026\/12\/07\/abc\/000001\.json: SignatureDoesNotMatch/,
    );
  });
});

describe("createS3ObjectStore's listing of versions", () => {
  // Keys that XML must escape, a key written three times, a delete marker among versions, and
  // enough keys for three pages of 1,000.
  const awkward = ["a&b/<x>.json", "q\"uote's.json", "space and+plus.json", "ünï/ς.json"];
  beforeAll(async () => {
    const admin = s3Client(sandbox, ADMIN);
    await admin.send(new CreateBucketCommand({ Bucket: "versions" }));
    await admin.send(
      new PutBucketVersioningCommand({ Bucket: "versions", VersioningConfiguration: { Status: "Enabled" } }),
    );
    const keys = [
      ...awkward,
      ...Array.from({ length: 2300 }, (_, i) => `p/${String(i).padStart(5, "0")}.json`),
    ];
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys
          .slice(i, i + 50)
          .map((Key) => admin.send(new PutObjectCommand({ Bucket: "versions", Key, Body: Key }))),
      );
    }
    for (const Body of ["two", "three"])
      await admin.send(new PutObjectCommand({ Bucket: "versions", Key: "p/00999.json", Body }));
    await admin.send(new DeleteObjectCommand({ Bucket: "versions", Key: "p/01000.json" }));
    await admin.send(new DeleteObjectCommand({ Bucket: "versions", Key: awkward[0] }));
  }, 120_000);

  // The SDK's own listing, merged in key order, newest first within a key: what the fast path must equal.
  async function sdkListing() {
    const admin = s3Client(sandbox, ADMIN);
    const all: Array<Record<string, unknown>> = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      const page = await admin.send(
        new ListObjectVersionsCommand({ Bucket: "versions", KeyMarker, VersionIdMarker }),
      );
      const entries = [
        ...(page.Versions ?? []).map((v) => ({
          key: v.Key,
          versionId: v.VersionId,
          isLatest: v.IsLatest,
          deleteMarker: false,
          etag: v.ETag,
          time: v.LastModified?.getTime(),
        })),
        ...(page.DeleteMarkers ?? []).map((m) => ({
          key: m.Key,
          versionId: m.VersionId,
          isLatest: m.IsLatest,
          deleteMarker: true,
          etag: undefined,
          time: m.LastModified?.getTime(),
        })),
      ];
      entries.sort((a, b) =>
        (a.key ?? "") < (b.key ?? "")
          ? -1
          : (a.key ?? "") > (b.key ?? "")
            ? 1
            : (b.time ?? 0) - (a.time ?? 0),
      );
      all.push(...entries);
      KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (KeyMarker);
    return all;
  }

  it("reads every page without the SDK's XML stack and lists exactly what the SDK lists", async () => {
    const before = sandbox.journal.find({ operation: "ListObjectVersions" }).length;
    const versionsStore = createS3ObjectStore("versions", {
      region: REGION,
      endpoint: sandbox.endpoint,
      credentials: { accessKeyId: ADMIN.accessKeyId, secretAccessKey: ADMIN.secretAccessKey },
    });
    const listed = [];
    for await (const v of versionsStore.listVersions("")) {
      listed.push({
        key: v.key,
        versionId: v.versionId,
        isLatest: v.isLatest,
        deleteMarker: v.deleteMarker,
        etag: v.etag,
        time: v.lastModified?.getTime(),
      });
    }
    const calls = sandbox.journal.find({ operation: "ListObjectVersions" }).slice(before);
    expect(calls.map((call) => call.status)).toEqual([200, 200, 200]);
    expect(listed).toEqual(await sdkListing());
    expect(listed).toHaveLength(2304 + 2 + 2);
    const md5 = (text: string) => `"${createHash("md5").update(text).digest("hex")}"`;
    expect(listed.filter((v) => v.key === "p/00999.json").map((v) => [v.isLatest, v.etag])).toEqual([
      [true, md5("three")],
      [false, md5("two")],
      [false, md5("p/00999.json")],
    ]);
    expect(listed.filter((v) => v.key === awkward[0]).map((v) => v.deleteMarker)).toEqual([true, false]);
  });

  it("takes a page by one signed GET, parsed without the SDK (else the store would quietly use the SDK)", async () => {
    const signedGet = createSignedGet({
      bucket: "versions",
      endpoint: sandbox.endpoint,
      region: REGION,
      credentials: async () => ADMIN,
    });
    const first = await fetchVersionsPage(signedGet, "", {});
    expect(first?.entries).toHaveLength(1000);
    expect(first?.entries.slice(0, 5).map((v) => [v.key, v.deleteMarker])).toEqual([
      ["a&b/<x>.json", true],
      ["a&b/<x>.json", false],
      ["p/00000.json", false],
      ["p/00001.json", false],
      ["p/00002.json", false],
    ]);
    expect(first?.truncated).toBe(true);
    const next = await fetchVersionsPage(signedGet, "p/", {
      keyMarker: first?.nextKeyMarker,
      versionIdMarker: first?.nextVersionIdMarker,
    });
    expect(first?.entries.at(-1)?.key).toBe("p/00997.json");
    expect(next?.entries[0]?.key).toBe("p/00998.json");
  });

  it("hands a refused listing to the SDK, whose error it reports", async () => {
    const refused = createS3ObjectStore("versions", {
      region: REGION,
      endpoint: sandbox.endpoint,
      credentials: {
        accessKeyId: ADMIN.accessKeyId,
        secretAccessKey: "not-the-secret-key-at-all-0000000000000",
      },
    });
    await expect(async () => {
      for await (const _ of refused.listVersions("")) break;
    }).rejects.toThrow(/^Could not list the versions under s3:\/\/versions\/: SignatureDoesNotMatch/);
  });
});
