import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import {
  ACCOUNT,
  ADMIN,
  assumeRole,
  baseCredentials,
  expectError,
  policyJson,
  runAwsCli,
  runPython,
  S3_TESTER,
  s3Client,
  signedRequest,
  startTestSandbox,
  worldForS3,
  xmlText,
} from "../helpers/sandbox.js";

// Conditional writes (PutObject with If-None-Match: * or If-Match: ETAG) through the real SDK, the
// AWS CLI and boto3. Expected answers: S3's, as LocalStack's AWS-validated snapshots recorded them.
const PRECONDITION = "At least one of the pre-conditions you specified did not hold";
const SERVICE_ERROR_EXIT = [254, 255];

let sandbox: RunningSandbox;
let admin: S3Client;
let dir: string;

beforeAll(async () => {
  sandbox = await startTestSandbox({ world: worldForS3(["plain", { name: "versioned", versioning: true }]) });
  admin = s3Client(sandbox, ADMIN);
  dir = mkdtempSync(join(tmpdir(), "taskaccess-s3-conditional-"));
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (text: string) => `"${createHash("md5").update(text).digest("hex")}"`;
const put = (
  bucket: string,
  key: string,
  body: string,
  extra: { IfNoneMatch?: string; IfMatch?: string } = {},
) => admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }));
const bodyOf = async (bucket: string, key: string) =>
  (await admin
    .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    .then((got) => got.Body?.transformToString())) ?? "";

describe("If-None-Match: *", () => {
  it("creates the object once, then answers 412 PreconditionFailed and leaves it unchanged", async () => {
    for (const bucket of ["plain", "versioned"]) {
      const first = await put(bucket, "lock/first", "one", { IfNoneMatch: "*" });
      expect(first.ETag).toBe(md5("one"));
      await expectError(
        put(bucket, "lock/first", "two", { IfNoneMatch: "*" }),
        "PreconditionFailed",
        412,
        PRECONDITION,
      );
      expect(await bodyOf(bucket, "lock/first")).toBe("one");
    }
  });

  it("names the condition in S3's error body", async () => {
    await put("plain", "lock/raw", "x");
    const response = await signedRequest(sandbox, {
      method: "PUT",
      path: "/plain/lock/raw",
      service: "s3",
      credentials: ADMIN,
      headers: { "if-none-match": "*" },
      body: "y",
    });
    expect([response.status, xmlText(response.body, "Code"), xmlText(response.body, "Condition")]).toEqual([
      412,
      "PreconditionFailed",
      "If-None-Match",
    ]);
    expect(xmlText(response.body, "Message")).toBe(PRECONDITION);
  });

  it("does not count a delete marker as an existing object", async () => {
    await put("versioned", "lock/marker", "before");
    const deleted = await admin.send(new DeleteObjectCommand({ Bucket: "versioned", Key: "lock/marker" }));
    expect(deleted.DeleteMarker).toBe(true);
    const again = await put("versioned", "lock/marker", "after", { IfNoneMatch: "*" });
    expect(again.VersionId).toMatch(/^[A-Za-z0-9._]{32}$/);
    expect(await bodyOf("versioned", "lock/marker")).toBe("after");
    // And once deleted from an unversioned bucket, the key is free again.
    await put("plain", "lock/gone", "before");
    await admin.send(new DeleteObjectCommand({ Bucket: "plain", Key: "lock/gone" }));
    expect((await put("plain", "lock/gone", "after", { IfNoneMatch: "*" })).ETag).toBe(md5("after"));
  });

  it("lets exactly one of many concurrent conditional writes to one key win", async () => {
    for (const bucket of ["plain", "versioned"]) {
      const key = `race/${bucket}`;
      const bodies = Array.from({ length: 25 }, (_, i) => `writer ${i}`);
      const results = await Promise.allSettled(
        bodies.map((body) => put(bucket, key, body, { IfNoneMatch: "*" })),
      );
      const won = results.flatMap((result, i) => (result.status === "fulfilled" ? [bodies[i]] : []));
      const lost = results.filter((result) => result.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(24);
      for (const result of lost) {
        expect(result.status === "rejected" && (result.reason as { name?: string }).name).toBe(
          "PreconditionFailed",
        );
      }
      expect(await bodyOf(bucket, key)).toBe(won[0]);
    }
    const versions = await admin.send(
      new ListObjectVersionsCommand({ Bucket: "versioned", Prefix: "race/" }),
    );
    expect(versions.Versions?.length).toBe(1);
  });
});

describe("If-Match: ETAG", () => {
  it("replaces the object only when the ETag matches, quoted or not", async () => {
    const first = await put("plain", "cas/doc", "v1");
    await expectError(
      put("plain", "cas/doc", "v2", { IfMatch: md5("other") }),
      "PreconditionFailed",
      412,
      PRECONDITION,
    );
    expect(await bodyOf("plain", "cas/doc")).toBe("v1");
    const second = await put("plain", "cas/doc", "v2", { IfMatch: first.ETag ?? "" });
    expect(second.ETag).toBe(md5("v2"));
    const third = await put("plain", "cas/doc", "v3", { IfMatch: (second.ETag ?? "").replaceAll('"', "") });
    expect(third.ETag).toBe(md5("v3"));
    expect(await bodyOf("plain", "cas/doc")).toBe("v3");
  });

  it("answers NoSuchKey when there is no current object, a delete marker included", async () => {
    await expectError(put("plain", "cas/missing", "x", { IfMatch: md5("x") }), "NoSuchKey", 404);
    const v1 = await put("versioned", "cas/deleted", "v1");
    await admin.send(new DeleteObjectCommand({ Bucket: "versioned", Key: "cas/deleted" }));
    await expectError(put("versioned", "cas/deleted", "v2", { IfMatch: v1.ETag ?? "" }), "NoSuchKey", 404);
  });

  it("answers 412 with Condition If-Match in the body", async () => {
    await put("plain", "cas/raw", "x");
    const response = await signedRequest(sandbox, {
      method: "PUT",
      path: "/plain/cas/raw",
      service: "s3",
      credentials: ADMIN,
      headers: { "if-match": md5("not x") },
      body: "y",
    });
    expect([response.status, xmlText(response.body, "Condition")]).toEqual([412, "If-Match"]);
  });
});

describe("what S3 refuses outright", () => {
  it("answers 501 NotImplemented for If-None-Match other than *, If-Match: *, and both headers", async () => {
    await put("plain", "refused/x", "x");
    const cases = [
      [
        { "if-none-match": md5("x") },
        "If-None-Match",
        "We don't accept the provided value of If-None-Match header for this API",
      ],
      [{ "if-match": "*" }, "If-Match", "We don't accept the provided value of If-Match header for this API"],
      [
        { "if-match": md5("x"), "if-none-match": "*" },
        "If-Match,If-None-Match",
        "Multiple conditional request headers present in the request",
      ],
    ] as const;
    for (const [headers, header, detail] of cases) {
      const response = await signedRequest(sandbox, {
        method: "PUT",
        path: "/plain/refused/x",
        service: "s3",
        credentials: ADMIN,
        headers,
        body: "changed",
      });
      expect({
        status: response.status,
        code: xmlText(response.body, "Code"),
        header: xmlText(response.body, "Header"),
        detail: xmlText(response.body, "additionalMessage")?.replaceAll("&apos;", "'"),
      }).toEqual({ status: 501, code: "NotImplemented", header, detail });
    }
    expect(await bodyOf("plain", "refused/x")).toBe("x");
  });
});

describe("conditional deletes", () => {
  it("refuses DeleteObject with If-Match (not emulated) rather than ignore it, and keeps the object", async () => {
    const written = await put("plain", "cas/keep", "keep me");
    await expectError(
      admin.send(
        new DeleteObjectCommand({ Bucket: "plain", Key: "cas/keep", IfMatch: md5("something else") }),
      ),
      "NotImplemented",
      501,
      "A conditional delete (If-Match) is not emulated by the taskaccess sandbox.",
    );
    expect(written.ETag).toBe(md5("keep me"));
    expect(await bodyOf("plain", "cas/keep")).toBe("keep me");
  });
});

describe("authorization", () => {
  it("authorizes a conditional write as s3:PutObject with the s3:if-none-match condition key", async () => {
    const { credentials } = await assumeRole(sandbox, baseCredentials(sandbox), {
      RoleArn: S3_TESTER,
      RoleSessionName: "only-create",
      Policy: policyJson({
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: "arn:aws:s3:::plain/*",
        Condition: { StringEquals: { "s3:if-none-match": "*" } },
      }),
    });
    const session = s3Client(sandbox, credentials);
    await expectError(
      session.send(new PutObjectCommand({ Bucket: "plain", Key: "authz/a", Body: "x" })),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/s3-tester/only-create is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::plain/authz/a" because no session policy allows the s3:PutObject action`,
    );
    const created = await session.send(
      new PutObjectCommand({ Bucket: "plain", Key: "authz/a", Body: "x", IfNoneMatch: "*" }),
    );
    expect(created.ETag).toBe(md5("x"));
    const entry = sandbox.journal.find({ requestId: created.$metadata.requestId ?? "" })[0];
    expect(entry).toMatchObject({ operation: "PutObject", action: "s3:PutObject", decision: "allow" });
  });

  it("needs s3:GetObject as well for If-Match", async () => {
    const first = await put("plain", "authz/cas", "v1");
    const { credentials } = await assumeRole(sandbox, baseCredentials(sandbox), {
      RoleArn: S3_TESTER,
      RoleSessionName: "put-only",
      Policy: policyJson({ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::plain/*" }),
    });
    await expectError(
      s3Client(sandbox, credentials).send(
        new PutObjectCommand({ Bucket: "plain", Key: "authz/cas", Body: "v2", IfMatch: first.ETag ?? "" }),
      ),
      "AccessDenied",
      403,
      /not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::plain\/authz\/cas"/,
    );
    expect(await bodyOf("plain", "authz/cas")).toBe("v1");
  });
});

describe("other clients", () => {
  it("aws s3api put-object --if-none-match '*' creates once, then fails with PreconditionFailed", async (context) => {
    const help = await runAwsCli(sandbox, ADMIN, ["s3api", "put-object", "help"], {
      PAGER: "cat",
      MANPAGER: "cat",
    });
    context.skip(
      !help.stdout.includes("--if-none-match"),
      "the installed AWS CLI has no put-object --if-none-match (AWS CLI v1.34+/v2.18+ do)",
    );
    const file = join(dir, "cli.txt");
    writeFileSync(file, "from the cli");
    const args = [
      "s3api",
      "put-object",
      "--bucket",
      "plain",
      "--key",
      "cli/once",
      "--body",
      file,
      "--if-none-match",
      "*",
    ];
    const first = await runAwsCli(sandbox, ADMIN, args);
    expect(first.stderr).toBe("");
    expect(first.json).toEqual({ ETag: md5("from the cli") });
    const second = await runAwsCli(sandbox, ADMIN, args);
    expect(SERVICE_ERROR_EXIT).toContain(second.code);
    expect(second.stderr.trim()).toBe(
      `An error occurred (PreconditionFailed) when calling the PutObject operation: ${PRECONDITION}`,
    );
  });

  it("boto3: put_object(IfNoneMatch='*') twice, the second a ClientError with Condition", async () => {
    const script = `
import json, boto3, botocore.config, botocore.exceptions
s3 = boto3.client("s3", config=botocore.config.Config(s3={"addressing_style": "path"}))
first = s3.put_object(Bucket="versioned", Key="boto3/once", Body=b"boto3", IfNoneMatch="*")
try:
    s3.put_object(Bucket="versioned", Key="boto3/once", Body=b"again", IfNoneMatch="*")
    second = None
except botocore.exceptions.ClientError as error:
    second = {"error": error.response["Error"], "status": error.response["ResponseMetadata"]["HTTPStatusCode"]}
print(json.dumps({"etag": first["ETag"], "version": first.get("VersionId"), "second": second}))
`;
    const result = await runPython(sandbox, ADMIN, script);
    expect(result.stderr).toBe("");
    const output = JSON.parse(result.stdout) as { etag: string; version: string; second: unknown };
    expect(output.etag).toBe(md5("boto3"));
    expect(output.version).toMatch(/^[A-Za-z0-9._]{32}$/);
    expect(output.second).toEqual({
      error: { Code: "PreconditionFailed", Message: PRECONDITION, Condition: "If-None-Match" },
      status: 412,
    });
  });
});
