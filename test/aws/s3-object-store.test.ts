import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
