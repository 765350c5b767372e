import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskAccessError } from "../../src/errors.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import { loadWorldFile } from "../../src/sandbox/world.js";
import {
  ACCOUNT,
  ADMIN,
  assumeRole,
  baseCredentials,
  expectError,
  policyJson,
  runPython,
  S3_TESTER,
  s3Client,
  signedRequest,
  startTestSandbox,
  worldForS3,
  xmlText,
} from "../helpers/sandbox.js";

// S3 Versioning through the real SDK (and boto3 for ListObjectVersions' url encoding). Expected answers:
// the botocore s3 model and S3's, as LocalStack's AWS-validated snapshots recorded them.
const VERSION_ID = /^[A-Za-z0-9._]{32}$/;

let sandbox: RunningSandbox;
let admin: S3Client;
let dir: string;

beforeAll(async () => {
  sandbox = await startTestSandbox({
    world: worldForS3(["plain", { name: "versioned", versioning: true }, "toggled", "suspended"]),
  });
  admin = s3Client(sandbox, ADMIN);
  dir = mkdtempSync(join(tmpdir(), "taskaccess-s3-versioning-"));
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (text: string) => `"${createHash("md5").update(text).digest("hex")}"`;
const put = (bucket: string, key: string, body: string) =>
  admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const text = async (bucket: string, key: string, versionId?: string) => {
  const got = await admin.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
  );
  return { body: await got.Body?.transformToString(), versionId: got.VersionId };
};
const setVersioning = (bucket: string, status: "Enabled" | "Suspended") =>
  admin.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } }));

describe("PutBucketVersioning and GetBucketVersioning", () => {
  it("has no status until set, then Enabled or Suspended", async () => {
    expect((await admin.send(new GetBucketVersioningCommand({ Bucket: "toggled" }))).Status).toBeUndefined();
    await setVersioning("toggled", "Enabled");
    expect((await admin.send(new GetBucketVersioningCommand({ Bucket: "toggled" }))).Status).toBe("Enabled");
    await setVersioning("toggled", "Suspended");
    expect((await admin.send(new GetBucketVersioningCommand({ Bucket: "toggled" }))).Status).toBe(
      "Suspended",
    );
    expect((await admin.send(new GetBucketVersioningCommand({ Bucket: "versioned" }))).Status).toBe(
      "Enabled",
    );
  });

  it("refuses a status other than Enabled or Suspended, and a configuration without one", async () => {
    const send = (body: string) =>
      signedRequest(sandbox, {
        method: "PUT",
        path: "/toggled",
        query: { versioning: "" },
        service: "s3",
        credentials: ADMIN,
        body,
      });
    const ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
    const lower = await send(
      `<VersioningConfiguration ${ns}><Status>enabled</Status></VersioningConfiguration>`,
    );
    expect([lower.status, xmlText(lower.body, "Code")]).toEqual([400, "MalformedXML"]);
    const empty = await send(`<VersioningConfiguration ${ns}></VersioningConfiguration>`);
    expect([empty.status, xmlText(empty.body, "Code"), xmlText(empty.body, "Message")]).toEqual([
      400,
      "IllegalVersioningConfigurationException",
      "The Versioning element must be specified",
    ]);
    const garbage = await send("<VersioningConfiguration><Status>Enabled</Status>");
    expect([garbage.status, xmlText(garbage.body, "Code")]).toEqual([400, "MalformedXML"]);
    await expectError(
      admin.send(new GetBucketVersioningCommand({ Bucket: "no-such-bucket" })),
      "NoSuchBucket",
      404,
    );
  });
});

describe("object versions", () => {
  it("keeps every version with its own VersionId, readable with ?versionId=", async () => {
    const v1 = await put("versioned", "app/config.json", "one");
    const v2 = await put("versioned", "app/config.json", "two");
    expect(v1.VersionId).toMatch(VERSION_ID);
    expect(v2.VersionId).toMatch(VERSION_ID);
    expect(v2.VersionId).not.toBe(v1.VersionId);
    expect(await text("versioned", "app/config.json")).toEqual({ body: "two", versionId: v2.VersionId });
    expect(await text("versioned", "app/config.json", v1.VersionId)).toEqual({
      body: "one",
      versionId: v1.VersionId,
    });
    const head = await admin.send(
      new HeadObjectCommand({ Bucket: "versioned", Key: "app/config.json", VersionId: v1.VersionId }),
    );
    expect([head.VersionId, head.ETag, head.ContentLength]).toEqual([v1.VersionId, md5("one"), 3]);
    await expectError(
      admin.send(
        new GetObjectCommand({ Bucket: "versioned", Key: "app/config.json", VersionId: "x".repeat(32) }),
      ),
      "NoSuchVersion",
      404,
      "The specified version does not exist.",
    );
  });

  it("DeleteObject without versionId adds a delete marker that hides the key, and removing it brings the key back", async () => {
    const v1 = await put("versioned", "app/hidden.txt", "still here");
    const deleted = await admin.send(new DeleteObjectCommand({ Bucket: "versioned", Key: "app/hidden.txt" }));
    expect(deleted.DeleteMarker).toBe(true);
    expect(deleted.VersionId).toMatch(VERSION_ID);
    expect(deleted.$metadata.httpStatusCode).toBe(204);

    await expectError(
      admin.send(new GetObjectCommand({ Bucket: "versioned", Key: "app/hidden.txt" })),
      "NoSuchKey",
      404,
    );
    const raw = await signedRequest(sandbox, {
      method: "GET",
      path: "/versioned/app/hidden.txt",
      service: "s3",
      credentials: ADMIN,
    });
    expect([raw.status, raw.headers["x-amz-delete-marker"], raw.headers["x-amz-version-id"]]).toEqual([
      404,
      "true",
      deleted.VersionId,
    ]);
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: "versioned", Prefix: "app/hidden" }));
    expect(listed.KeyCount).toBe(0);
    // The old version is still there, by its id; the marker itself cannot be read (405).
    expect(await text("versioned", "app/hidden.txt", v1.VersionId)).toEqual({
      body: "still here",
      versionId: v1.VersionId,
    });
    const marker = await signedRequest(sandbox, {
      method: "GET",
      path: "/versioned/app/hidden.txt",
      query: { versionId: deleted.VersionId ?? "" },
      service: "s3",
      credentials: ADMIN,
    });
    expect([marker.status, xmlText(marker.body, "Code"), marker.headers["x-amz-delete-marker"]]).toEqual([
      405,
      "MethodNotAllowed",
      "true",
    ]);

    const unmarked = await admin.send(
      new DeleteObjectCommand({ Bucket: "versioned", Key: "app/hidden.txt", VersionId: deleted.VersionId }),
    );
    expect([unmarked.DeleteMarker, unmarked.VersionId]).toEqual([true, deleted.VersionId]);
    expect(await text("versioned", "app/hidden.txt")).toEqual({
      body: "still here",
      versionId: v1.VersionId,
    });
  });

  it("DeleteObject with versionId removes that version for good", async () => {
    const v1 = await put("versioned", "app/purge.txt", "old");
    const v2 = await put("versioned", "app/purge.txt", "new");
    const purged = await admin.send(
      new DeleteObjectCommand({ Bucket: "versioned", Key: "app/purge.txt", VersionId: v1.VersionId }),
    );
    expect([purged.VersionId, purged.DeleteMarker]).toEqual([v1.VersionId, undefined]);
    await expectError(
      admin.send(
        new GetObjectCommand({ Bucket: "versioned", Key: "app/purge.txt", VersionId: v1.VersionId }),
      ),
      "NoSuchVersion",
      404,
    );
    const versions = await admin.send(
      new ListObjectVersionsCommand({ Bucket: "versioned", Prefix: "app/purge" }),
    );
    expect(versions.Versions?.map((v) => v.VersionId)).toEqual([v2.VersionId]);
    await expectError(
      admin.send(
        new DeleteObjectCommand({ Bucket: "versioned", Key: "app/purge.txt", VersionId: "y".repeat(32) }),
      ),
      "InvalidArgument",
      400,
      "Invalid version id specified",
    );
  });
});

describe("ListObjectVersions", () => {
  it("lists versions and delete markers newest first per key, with IsLatest, ETag, Size and LastModified", async () => {
    const a1 = await put("versioned", "log/a", "a-1");
    const a2 = await put("versioned", "log/a", "a-two");
    const b1 = await put("versioned", "log/b", "b-1");
    const bMarker = await admin.send(new DeleteObjectCommand({ Bucket: "versioned", Key: "log/b" }));
    const listed = await admin.send(new ListObjectVersionsCommand({ Bucket: "versioned", Prefix: "log/" }));
    expect(listed.IsTruncated).toBe(false);
    expect(listed.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.ETag, v.Size])).toEqual([
      ["log/a", a2.VersionId, true, md5("a-two"), 5],
      ["log/a", a1.VersionId, false, md5("a-1"), 3],
      ["log/b", b1.VersionId, false, md5("b-1"), 3],
    ]);
    expect(listed.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest])).toEqual([
      ["log/b", bMarker.VersionId, true],
    ]);
    for (const version of listed.Versions ?? []) {
      expect(Math.abs((version.LastModified?.getTime() ?? 0) - sandbox.clock.now())).toBeLessThan(60_000);
      expect(version.Owner?.ID).toBe(ACCOUNT);
      expect(version.StorageClass).toBe("STANDARD");
    }
    const current = await admin.send(new ListObjectsV2Command({ Bucket: "versioned", Prefix: "log/" }));
    expect(current.Contents?.map((c) => c.Key)).toEqual(["log/a"]);
  });

  it("pages with max-keys, key-marker and version-id-marker, ending where the full list ends", async () => {
    const ids: Record<string, string[]> = {};
    for (const key of ["page/1", "page/2", "page/3"]) {
      const newestFirst: string[] = [];
      for (let i = 0; i < 3; i++)
        newestFirst.unshift((await put("versioned", key, `${key}#${i}`)).VersionId ?? "");
      ids[key] = newestFirst;
    }
    const marker = await admin.send(new DeleteObjectCommand({ Bucket: "versioned", Key: "page/2" }));
    const [p1 = [], p2 = [], p3 = []] = [ids["page/1"], ids["page/2"], ids["page/3"]];
    // S3's order: keys in order, each key's versions newest first, delete markers among them.
    const raw = await signedRequest(sandbox, {
      method: "GET",
      path: "/versioned",
      query: { versions: "", prefix: "page/" },
      service: "s3",
      credentials: ADMIN,
    });
    expect(
      [...raw.body.matchAll(/<(Version|DeleteMarker)><Key>([^<]*)<\/Key><VersionId>([^<]*)</g)].map((m) =>
        m.slice(1),
      ),
    ).toEqual([
      ...p1.map((id) => ["Version", "page/1", id]),
      ["DeleteMarker", "page/2", marker.VersionId],
      ...p2.map((id) => ["Version", "page/2", id]),
      ...p3.map((id) => ["Version", "page/3", id]),
    ]);

    const page = (keyMarker?: string, versionIdMarker?: string) =>
      admin.send(
        new ListObjectVersionsCommand({
          Bucket: "versioned",
          Prefix: "page/",
          MaxKeys: 4,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(versionIdMarker ? { VersionIdMarker: versionIdMarker } : {}),
        }),
      );
    const first = await page();
    expect([first.IsTruncated, first.NextKeyMarker, first.NextVersionIdMarker]).toEqual([
      true,
      "page/2",
      marker.VersionId,
    ]);
    expect([versionIds(first), first.DeleteMarkers?.map((m) => m.VersionId)]).toEqual([
      p1,
      [marker.VersionId],
    ]);
    const second = await page(first.NextKeyMarker, first.NextVersionIdMarker);
    expect([second.IsTruncated, second.NextKeyMarker, second.NextVersionIdMarker]).toEqual([
      true,
      "page/3",
      p3[0],
    ]);
    expect([versionIds(second), second.DeleteMarkers]).toEqual([[...p2, p3[0]], undefined]);
    const third = await page(second.NextKeyMarker, second.NextVersionIdMarker);
    expect([third.IsTruncated, third.NextKeyMarker, third.NextVersionIdMarker]).toEqual([
      false,
      undefined,
      undefined,
    ]);
    expect(versionIds(third)).toEqual(p3.slice(1));
    expect(second.Versions?.map((v) => v.IsLatest)).toEqual([false, false, false, true]);

    // A key-marker alone starts after every version of that key.
    const after = await admin.send(
      new ListObjectVersionsCommand({ Bucket: "versioned", Prefix: "page/", KeyMarker: "page/2" }),
    );
    expect([versionIds(after), after.DeleteMarkers]).toEqual([p3, undefined]);
    await expectError(
      admin.send(new ListObjectVersionsCommand({ Bucket: "versioned", VersionIdMarker: "z".repeat(32) })),
      "InvalidArgument",
      400,
      "A version-id marker cannot be specified without a key marker.",
    );
    const badMax = await signedRequest(sandbox, {
      method: "GET",
      path: "/versioned",
      query: { versions: "", "max-keys": "abc" },
      service: "s3",
      credentials: ADMIN,
    });
    expect([badMax.status, xmlText(badMax.body, "Code"), xmlText(badMax.body, "Message")]).toEqual([
      400,
      "InvalidArgument",
      "Provided max-keys not an integer or within integer range",
    ]);
  });

  it("rolls keys up into CommonPrefixes with a delimiter", async () => {
    await put("versioned", "tree/a/1", "x");
    await put("versioned", "tree/a/2", "x");
    await put("versioned", "tree/b", "x");
    const listed = await admin.send(
      new ListObjectVersionsCommand({ Bucket: "versioned", Prefix: "tree/", Delimiter: "/" }),
    );
    expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["tree/a/"]);
    expect(listed.Versions?.map((v) => v.Key)).toEqual(["tree/b"]);
  });

  it("decodes keys for boto3, which asks for encoding-type=url", async () => {
    const key = "enc/a b+c%d.txt";
    await put("versioned", key, "x");
    const script = `
import json, boto3, botocore.config
s3 = boto3.client("s3", config=botocore.config.Config(s3={"addressing_style": "path"}))
listed = s3.list_object_versions(Bucket="versioned", Prefix="enc/")
print(json.dumps([[v["Key"], v["IsLatest"], len(v["VersionId"])] for v in listed["Versions"]]))
`;
    const result = await runPython(sandbox, ADMIN, script);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual([[key, true, 32]]);
  });
});

describe("buckets without versioning, and suspended", () => {
  it("keeps one version, null, not named in PutObject's answer, and deletes for good", async () => {
    const put1 = await put("plain", "solo.txt", "one");
    expect(put1.VersionId).toBeUndefined();
    await put("plain", "solo.txt", "two");
    const listed = await admin.send(new ListObjectVersionsCommand({ Bucket: "plain", Prefix: "solo" }));
    expect(listed.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([["null", true]]);
    expect(await text("plain", "solo.txt", "null")).toEqual({ body: "two", versionId: undefined });
    await expectError(
      admin.send(new GetObjectCommand({ Bucket: "plain", Key: "solo.txt", VersionId: "x".repeat(32) })),
      "InvalidArgument",
      400,
      "Invalid version id specified",
    );
    const deleted = await admin.send(new DeleteObjectCommand({ Bucket: "plain", Key: "solo.txt" }));
    expect([deleted.DeleteMarker, deleted.VersionId]).toEqual([undefined, undefined]);
    const after = await admin.send(new ListObjectVersionsCommand({ Bucket: "plain", Prefix: "solo" }));
    expect(after.Versions).toBeUndefined();
    expect(after.DeleteMarkers).toBeUndefined();
  });

  it("when suspended, writes the null version over the previous null version and keeps the others", async () => {
    const before = await put("suspended", "s.txt", "unversioned");
    expect(before.VersionId).toBeUndefined();
    await setVersioning("suspended", "Enabled");
    const kept = await put("suspended", "s.txt", "versioned");
    await setVersioning("suspended", "Suspended");
    const s1 = await put("suspended", "s.txt", "suspended 1");
    const s2 = await put("suspended", "s.txt", "suspended 2");
    expect([s1.VersionId, s2.VersionId]).toEqual([undefined, undefined]);
    const listed = await admin.send(new ListObjectVersionsCommand({ Bucket: "suspended" }));
    expect(listed.Versions?.map((v) => [v.VersionId, v.IsLatest, v.ETag])).toEqual([
      ["null", true, md5("suspended 2")],
      [kept.VersionId, false, md5("versioned")],
    ]);
    expect(await text("suspended", "s.txt")).toEqual({ body: "suspended 2", versionId: "null" });
    const marker = await admin.send(new DeleteObjectCommand({ Bucket: "suspended", Key: "s.txt" }));
    expect([marker.DeleteMarker, marker.VersionId]).toEqual([true, "null"]);
    const afterDelete = await admin.send(new ListObjectVersionsCommand({ Bucket: "suspended" }));
    expect(afterDelete.Versions?.map((v) => v.VersionId)).toEqual([kept.VersionId]);
    expect(afterDelete.DeleteMarkers?.map((m) => [m.VersionId, m.IsLatest])).toEqual([["null", true]]);
  });
});

describe("authorization", () => {
  it("authorizes each operation with its own action", async () => {
    const v1 = await put("versioned", "authz/doc", "one");
    await put("versioned", "authz/doc", "two");
    const { credentials } = await assumeRole(sandbox, baseCredentials(sandbox), {
      RoleArn: S3_TESTER,
      RoleSessionName: "current-only",
      Policy: policyJson({
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:DeleteObject", "s3:ListBucket"],
        Resource: ["arn:aws:s3:::versioned", "arn:aws:s3:::versioned/*"],
      }),
    });
    const session = s3Client(sandbox, credentials);
    const denied = (action: string, resource: string) =>
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/s3-tester/current-only is not authorized to perform: ${action} on resource: "${resource}" because no session policy allows the ${action} action`;
    const object = "arn:aws:s3:::versioned/authz/doc";
    expect(
      (await session.send(new GetObjectCommand({ Bucket: "versioned", Key: "authz/doc" }))).VersionId,
    ).not.toBe(v1.VersionId);
    const bucket = "arn:aws:s3:::versioned";
    const cases: Array<[() => Promise<unknown>, string, string]> = [
      [
        () =>
          session.send(
            new GetObjectCommand({ Bucket: "versioned", Key: "authz/doc", VersionId: v1.VersionId }),
          ),
        "s3:GetObjectVersion",
        object,
      ],
      [
        () =>
          session.send(
            new DeleteObjectCommand({ Bucket: "versioned", Key: "authz/doc", VersionId: v1.VersionId }),
          ),
        "s3:DeleteObjectVersion",
        object,
      ],
      [
        () => session.send(new ListObjectVersionsCommand({ Bucket: "versioned" })),
        "s3:ListBucketVersions",
        bucket,
      ],
      [
        () => session.send(new GetBucketVersioningCommand({ Bucket: "versioned" })),
        "s3:GetBucketVersioning",
        bucket,
      ],
      [
        () =>
          session.send(
            new PutBucketVersioningCommand({
              Bucket: "versioned",
              VersioningConfiguration: { Status: "Suspended" },
            }),
          ),
        "s3:PutBucketVersioning",
        bucket,
      ],
    ];
    for (const [call, action, resource] of cases) {
      await expectError(call(), "AccessDenied", 403, denied(action, resource));
    }
    // HeadObject's answer has no body: the SDK has only the status and names the error "Unknown", as for S3.
    await expectError(
      session.send(new HeadObjectCommand({ Bucket: "versioned", Key: "authz/doc", VersionId: v1.VersionId })),
      "Unknown",
      403,
    );
    const journal = sandbox.journal.find({ accessKeyId: credentials.accessKeyId, decision: "deny" });
    expect(journal.map((entry) => [entry.operation, entry.action])).toEqual([
      ["GetObject", "s3:GetObjectVersion"],
      ["DeleteObject", "s3:DeleteObjectVersion"],
      ["ListObjectVersions", "s3:ListBucketVersions"],
      ["GetBucketVersioning", "s3:GetBucketVersioning"],
      ["PutBucketVersioning", "s3:PutBucketVersioning"],
      ["HeadObject", "s3:GetObjectVersion"],
    ]);
    // The version is still there, and versioning still on.
    expect(await text("versioned", "authz/doc", v1.VersionId)).toEqual({
      body: "one",
      versionId: v1.VersionId,
    });
    expect((await admin.send(new GetBucketVersioningCommand({ Bucket: "versioned" }))).Status).toBe(
      "Enabled",
    );
  });
});

describe("the world file", () => {
  it("takes a bucket as a name or as { name, versioning, objectLock }", async () => {
    const file = join(dir, "world.yaml");
    writeFileSync(
      file,
      [
        "accounts:",
        '  - id: "111122223333"',
        "    buckets:",
        "      - plain-bucket",
        "      - { name: versioned-bucket, versioning: true }",
        "      - { name: locked-bucket, objectLock: { mode: GOVERNANCE, days: 7 } }",
        "      - { name: locked-years, objectLock: { mode: COMPLIANCE, years: 1 } }",
        "      - { name: locked-no-default, objectLock: true }",
      ].join("\n"),
    );
    const world = await loadWorldFile(file);
    const started = await startTestSandbox({ world });
    try {
      const buckets = started.state.buckets;
      expect(
        ["plain-bucket", "versioned-bucket", "locked-bucket", "locked-years", "locked-no-default"].map(
          (name) => {
            const bucket = buckets.get(name);
            return [name, bucket?.versioning, bucket?.objectLock, bucket?.account];
          },
        ),
      ).toEqual([
        ["plain-bucket", undefined, undefined, "111122223333"],
        ["versioned-bucket", "Enabled", undefined, "111122223333"],
        ["locked-bucket", "Enabled", { defaultRetention: { mode: "GOVERNANCE", days: 7 } }, "111122223333"],
        ["locked-years", "Enabled", { defaultRetention: { mode: "COMPLIANCE", years: 1 } }, "111122223333"],
        ["locked-no-default", "Enabled", {}, "111122223333"],
      ]);
    } finally {
      await started.close();
    }
  });

  it("stops the start with exit 65 on a bad bucket entry", async () => {
    for (const entry of [
      "{ name: b1-bucket, objectLock: { mode: GOVERNANCE, days: 1, years: 1 } }",
      "{ name: b2-bucket, objectLock: { mode: LOCKED, days: 1 } }",
      "{ name: b3-bucket, versioning: false }",
      "{ name: b4-bucket, replication: true }",
      "{ name: Bad_Name }",
    ]) {
      const file = join(dir, "bad-world.yaml");
      writeFileSync(file, `accounts:\n  - id: "111122223333"\n    buckets:\n      - ${entry}\n`);
      const error = await loadWorldFile(file).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, entry).toBeInstanceOf(TaskAccessError);
      expect((error as TaskAccessError).exitCode, entry).toBe(65);
      expect((error as TaskAccessError).message, entry).toContain("accounts.0.buckets.0");
    }
  });
});

// The version ids of a page's Versions, in order.
function versionIds(page: ListObjectVersionsCommandOutput): string[] {
  return (page.Versions ?? []).map((version) => version.VersionId ?? "");
}

// CreateBucket is the same for versioned buckets; kept here to show a new bucket starts without a status.
describe("a bucket created through the API", () => {
  it("starts unversioned", async () => {
    await admin.send(new CreateBucketCommand({ Bucket: "created-later" }));
    expect(
      (await admin.send(new GetBucketVersioningCommand({ Bucket: "created-later" }))).Status,
    ).toBeUndefined();
  });
});
