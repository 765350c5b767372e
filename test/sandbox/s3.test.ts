import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import {
  ACCOUNT,
  ADMIN,
  assumeRole,
  baseCredentials,
  type Credentials,
  expectError,
  policyJson,
  presignS3Url,
  runAwsCli,
  s3Client,
  signedRequest,
  startTestSandbox,
  virtualHostS3Client,
  worldWithAdmin,
  xmlText,
} from "../helpers/sandbox.js";

let sandbox: RunningSandbox;
let base: Credentials;
/** A deployer session without a session policy: s3:* on the releases bucket. */
let deployer: Credentials;
let s3: S3Client;

beforeAll(async () => {
  sandbox = await startTestSandbox({ world: worldWithAdmin() });
  base = baseCredentials(sandbox);
  deployer = (await assumeRole(sandbox, base, { RoleSessionName: "s3-tests" })).credentials;
  s3 = s3Client(sandbox, deployer);
});
afterAll(() => sandbox.close());

const md5 = (text: string) => createHash("md5").update(text).digest("hex");

describe("buckets", () => {
  it("lists the account's buckets for a caller allowed s3:ListAllMyBuckets, and denies one that is not", async () => {
    const listed = await s3.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((bucket) => bucket.Name)).toEqual(["releases", "other"]);
    expect(listed.Buckets?.[0]?.CreationDate).toBeInstanceOf(Date);
    expect(listed.Owner?.ID).toBe(ACCOUNT);
    const denied = await expectError(
      s3Client(sandbox, base).send(new ListBucketsCommand({})),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${ACCOUNT}:user/base is not authorized to perform: s3:ListAllMyBuckets on resource: "*" because no identity-based policy allows the s3:ListAllMyBuckets action`,
    );
    expect(denied).toBeInstanceOf(S3ServiceException);
  });

  it("creates a bucket, answers BucketAlreadyOwnedByYou 409 for it again, and InvalidBucketName for a bad name", async () => {
    const admin = s3Client(sandbox, ADMIN);
    const created = await admin.send(new CreateBucketCommand({ Bucket: "fresh-bucket" }));
    expect(created.Location).toBe("/fresh-bucket");
    expect(sandbox.state.buckets.get("fresh-bucket")?.account).toBe(ACCOUNT);
    const again = await expectError(
      admin.send(new CreateBucketCommand({ Bucket: "fresh-bucket" })),
      "BucketAlreadyOwnedByYou",
      409,
      "Your previous request to create the named bucket succeeded and you already own it.",
    );
    expect(again).toBeInstanceOf(BucketAlreadyOwnedByYou);
    await expectError(
      admin.send(new CreateBucketCommand({ Bucket: "ab" })),
      "InvalidBucketName",
      400,
      "The specified bucket is not valid.",
    );
    await expectError(
      s3.send(new CreateBucketCommand({ Bucket: "not-for-deployer" })),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/s3-tests is not authorized to perform: s3:CreateBucket on resource: "arn:aws:s3:::not-for-deployer" because no identity-based policy allows the s3:CreateBucket action`,
    );
    await expectError(
      s3.send(new PutObjectCommand({ Bucket: "fresh-bucket", Key: "x", Body: "x" })),
      "AccessDenied",
      403,
    );
    await expectError(
      admin.send(new PutObjectCommand({ Bucket: "no-such-bucket", Key: "x", Body: "x" })),
      "NoSuchBucket",
      404,
      "The specified bucket does not exist",
    );
  });
});

describe("objects", () => {
  it("puts, heads, gets and deletes an object", async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: "releases",
        Key: "objects/app.json",
        Body: '{"version":"1.4.2"}',
        ContentType: "application/json",
        Metadata: { build: "42" },
      }),
    );
    expect(put.ETag).toBe(`"${md5('{"version":"1.4.2"}')}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: "releases", Key: "objects/app.json" }));
    expect(head).toMatchObject({
      ContentLength: 19,
      ContentType: "application/json",
      ETag: put.ETag,
      Metadata: { build: "42" },
    });
    expect(head.LastModified).toBeInstanceOf(Date);
    const got = await s3.send(new GetObjectCommand({ Bucket: "releases", Key: "objects/app.json" }));
    expect(await got.Body?.transformToString()).toBe('{"version":"1.4.2"}');
    expect(got.ETag).toBe(put.ETag);

    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: "releases", Key: "objects/app.json" }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    const missing = await expectError(
      s3.send(new GetObjectCommand({ Bucket: "releases", Key: "objects/app.json" })),
      "NoSuchKey",
      404,
      "The specified key does not exist.",
    );
    expect(missing).toBeInstanceOf(NoSuchKey);
    // HEAD has no body, so the SDK can only name the status.
    await expectError(
      s3.send(new HeadObjectCommand({ Bucket: "releases", Key: "objects/app.json" })),
      "NotFound",
      404,
    );
  });

  it("answers a missing key with AccessDenied, not NoSuchKey, to a caller who may not list the bucket", async () => {
    const { credentials } = await assumeRole(sandbox, base, {
      RoleSessionName: "get-only",
      Policy: policyJson({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::releases/*" }),
    });
    const getOnly = s3Client(sandbox, credentials);
    await expectError(
      getOnly.send(new GetObjectCommand({ Bucket: "releases", Key: "objects/never" })),
      "AccessDenied",
      403,
      "Access Denied",
    );
    // A body-less 403 (HEAD) leaves the SDK only the status: it names the error "Unknown", as for S3.
    await expectError(
      getOnly.send(new HeadObjectCommand({ Bucket: "releases", Key: "objects/never" })),
      "Unknown",
      403,
    );
    await s3.send(new PutObjectCommand({ Bucket: "releases", Key: "objects/present", Body: "here" }));
    const got = await getOnly.send(new GetObjectCommand({ Bucket: "releases", Key: "objects/present" }));
    expect(await got.Body?.transformToString()).toBe("here");
  });

  it("lists with prefix, delimiter and continuation tokens", async () => {
    const keys = [
      "list/app/1.0/a",
      "list/app/1.0/b",
      "list/app/2.0/a",
      "list/app/readme",
      "list/docs/x",
      "list/z",
    ];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: "releases", Key: key, Body: key }));

    const folders = await s3.send(
      new ListObjectsV2Command({ Bucket: "releases", Prefix: "list/app/", Delimiter: "/" }),
    );
    expect(folders.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["list/app/1.0/", "list/app/2.0/"]);
    expect(folders.Contents?.map((object) => [object.Key, object.Size, object.ETag])).toEqual([
      ["list/app/readme", 15, `"${md5("list/app/readme")}"`],
    ]);
    expect(folders).toMatchObject({ KeyCount: 3, IsTruncated: false, Prefix: "list/app/", Delimiter: "/" });

    const seen: string[][] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: "releases",
          Prefix: "list/",
          MaxKeys: 4,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      seen.push(page.Contents?.map((object) => object.Key ?? "") ?? []);
      expect(page.KeyCount).toBe(seen[seen.length - 1]?.length);
      expect(page.IsTruncated).toBe(page.NextContinuationToken !== undefined);
      token = page.NextContinuationToken;
    } while (token && seen.length < 5);
    expect(seen).toEqual([keys.slice(0, 4), keys.slice(4)]);

    const after = await s3.send(
      new ListObjectsV2Command({ Bucket: "releases", Prefix: "list/", StartAfter: "list/docs/x" }),
    );
    expect(after.Contents?.map((object) => object.Key)).toEqual(["list/z"]);
    const none = await s3.send(new ListObjectsV2Command({ Bucket: "releases", Prefix: "nothing/" }));
    expect(none).toMatchObject({ KeyCount: 0, IsTruncated: false });
    expect(none.Contents).toBeUndefined();
  });

  it("passes s3:prefix to conditions on s3:ListBucket", async () => {
    const { credentials } = await assumeRole(sandbox, base, {
      RoleSessionName: "list-app",
      Policy: policyJson({
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: "arn:aws:s3:::releases",
        Condition: { StringLike: { "s3:prefix": "list/app/*" } },
      }),
    });
    const lister = s3Client(sandbox, credentials);
    const allowed = await lister.send(new ListObjectsV2Command({ Bucket: "releases", Prefix: "list/app/" }));
    expect(allowed.$metadata.httpStatusCode).toBe(200);
    await expectError(
      lister.send(new ListObjectsV2Command({ Bucket: "releases", Prefix: "list/docs/" })),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/list-app is not authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::releases" because no session policy allows the s3:ListBucket action`,
    );
  });
});

describe("virtual-host style", () => {
  it("takes the bucket from the Host header (bucket.localhost:PORT)", async () => {
    const host = `releases.localhost:${sandbox.port}`;
    const put = await signedRequest(sandbox, {
      method: "PUT",
      path: "/vhost/a%20b.txt",
      host,
      service: "s3",
      credentials: deployer,
      headers: { "content-type": "text/plain" },
      body: "virtual host body",
    });
    expect(put.status).toBe(200);
    expect(put.headers.etag).toBe(`"${md5("virtual host body")}"`);
    expect(sandbox.state.buckets.get("releases")?.objects.get("vhost/a b.txt")?.body.toString()).toBe(
      "virtual host body",
    );
    const entry = sandbox.journal.find({ requestId: String(put.headers["x-amzn-requestid"]) })[0];
    expect(entry).toMatchObject({ operation: "PutObject", resource: "arn:aws:s3:::releases/vhost/a b.txt" });

    const get = await signedRequest(sandbox, {
      method: "GET",
      path: "/vhost/a%20b.txt",
      host,
      service: "s3",
      credentials: deployer,
    });
    expect([get.status, get.body, get.headers["content-type"]]).toEqual([
      200,
      "virtual host body",
      "text/plain",
    ]);

    const denied = await signedRequest(sandbox, {
      method: "PUT",
      path: "/x",
      host: `other.localhost:${sandbox.port}`,
      service: "s3",
      credentials: deployer,
      body: "x",
    });
    expect(denied.status).toBe(403);
    expect(xmlText(denied.body, "Code")).toBe("AccessDenied");
    expect(xmlText(denied.body, "Message")).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/s3-tests is not authorized to perform: s3:PutObject on resource: &quot;arn:aws:s3:::other/x&quot; because no identity-based policy allows the s3:PutObject action`,
    );
    expect(xmlText(denied.body, "RequestId")).toBe(denied.headers["x-amzn-requestid"]);
    expect(denied.headers["x-amz-request-id"]).toBe(denied.headers["x-amzn-requestid"]);
  });

  it("answers S3 errors in S3's <Error> envelope", async () => {
    const missing = await signedRequest(sandbox, {
      method: "GET",
      path: "/releases/nothing-here",
      service: "s3",
      credentials: deployer,
    });
    const id = String(missing.headers["x-amzn-requestid"]);
    expect(missing.status).toBe(404);
    expect(missing.headers["content-type"]).toBe("application/xml");
    expect(missing.body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><RequestId>${id}</RequestId><HostId>${id}</HostId></Error>`,
    );
  });
});

describe("virtual-host style through the SDK and S3 endpoint names", () => {
  it("serves the SDK's own virtual-host requests (forcePathStyle: false) for localhost, s3.localhost and s3.REGION.localhost", async () => {
    for (const host of ["localhost", "s3.localhost", "s3.us-east-1.localhost"]) {
      const client = virtualHostS3Client(sandbox, deployer, host);
      const key = `vhost-sdk/${host}.txt`;
      const put = await client.send(new PutObjectCommand({ Bucket: "releases", Key: key, Body: host }));
      expect(put.ETag).toBe(`"${md5(host)}"`);
      const entry = sandbox.journal.find({ requestId: put.$metadata.requestId ?? "" })[0];
      expect(entry).toMatchObject({ operation: "PutObject", resource: `arn:aws:s3:::releases/${key}` });
      const got = await client.send(new GetObjectCommand({ Bucket: "releases", Key: key }));
      expect(await got.Body?.transformToString()).toBe(host);
      // The endpoint's own name, without a bucket, is path style: ListBuckets, not a bucket "s3…".
      const listed = await client.send(new ListBucketsCommand({}));
      expect(listed.Buckets?.map((bucket) => bucket.Name)).toContain("releases");
    }
  });

  it("takes the bucket from bucket.s3.localhost, bucket.s3-REGION.localhost and a dotted bucket name", async () => {
    const admin = s3Client(sandbox, ADMIN);
    await admin.send(new CreateBucketCommand({ Bucket: "dotted.bucket" }));
    for (const [host, bucket] of [
      [`releases.s3.localhost:${sandbox.port}`, "releases"],
      [`releases.s3-eu-west-1.localhost:${sandbox.port}`, "releases"],
      [`releases.s3.dualstack.eu-west-1.localhost:${sandbox.port}`, "releases"],
      [`dotted.bucket.s3.localhost:${sandbox.port}`, "dotted.bucket"],
      [`dotted.bucket.localhost:${sandbox.port}`, "dotted.bucket"],
    ] as const) {
      const put = await signedRequest(sandbox, {
        method: "PUT",
        path: "/hosts/k",
        host,
        service: "s3",
        credentials: ADMIN,
        body: host,
      });
      expect([host, put.status]).toEqual([host, 200]);
      expect(sandbox.state.buckets.get(bucket)?.objects.get("hosts/k")?.body.toString()).toBe(host);
    }
  });
});

describe("presigned URLs", () => {
  const dir = mkdtempSync(join(tmpdir(), "taskaccess-presign-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves a presigned GetObject made as the SDK's presigner makes it (UNSIGNED-PAYLOAD), with session credentials", async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: "releases", Key: "presign/app 1.txt", Body: "presigned body" }),
    );
    const url = await presignS3Url(sandbox, deployer, {
      method: "GET",
      bucket: "releases",
      key: "presign/app 1.txt",
    });
    expect(url).toContain("X-Amz-Content-Sha256=UNSIGNED-PAYLOAD");
    expect(url).toContain("X-Amz-Security-Token=");
    const response = await fetch(url);
    expect([response.status, await response.text()]).toEqual([200, "presigned body"]);
    const entry = sandbox.journal.find({ requestId: response.headers.get("x-amzn-requestid") ?? "" })[0];
    expect(entry).toMatchObject({
      operation: "GetObject",
      action: "s3:GetObject",
      decision: "allow",
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/s3-tests`,
    });
  });

  it("refuses a tampered presigned URL with SignatureDoesNotMatch", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "releases", Key: "presign/a.txt", Body: "a" }));
    await s3.send(new PutObjectCommand({ Bucket: "releases", Key: "presign/b.txt", Body: "b" }));
    const url = await presignS3Url(sandbox, deployer, {
      method: "GET",
      bucket: "releases",
      key: "presign/a.txt",
    });
    expect((await fetch(url)).status).toBe(200);
    const tampered = [
      url.replace("presign/a.txt", "presign/b.txt"),
      url.replace(/X-Amz-Expires=\d+/, "X-Amz-Expires=3600"),
      url.replace(
        /(X-Amz-Signature=[0-9a-f]{63})([0-9a-f])/,
        (_, head: string, last: string) => `${head}${last === "0" ? "1" : "0"}`,
      ),
    ];
    for (const bad of tampered) {
      expect(bad).not.toBe(url);
      const response = await fetch(bad);
      const body = await response.text();
      expect([response.status, xmlText(body, "Code")]).toEqual([403, "SignatureDoesNotMatch"]);
    }
    // The presigned method is part of the signature too.
    const asPut = await fetch(url, { method: "PUT", body: "x" });
    expect([asPut.status, xmlText(await asPut.text(), "Code")]).toEqual([403, "SignatureDoesNotMatch"]);
  });

  it("accepts a body of any hash on a presigned PutObject", async () => {
    const url = await presignS3Url(sandbox, deployer, {
      method: "PUT",
      bucket: "releases",
      key: "presign/upload.bin",
    });
    const response = await fetch(url, { method: "PUT", body: "uploaded through a presigned URL" });
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe(`"${md5("uploaded through a presigned URL")}"`);
    expect(sandbox.state.buckets.get("releases")?.objects.get("presign/upload.bin")?.body.toString()).toBe(
      "uploaded through a presigned URL",
    );
  });

  it("serves a presigned URL from the AWS CLI (aws s3 presign, SigV4 as the profile asks)", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "releases", Key: "presign/cli.txt", Body: "from the cli" }));
    const config = join(dir, "config");
    writeFileSync(config, "[default]\ns3 =\n    signature_version = s3v4\n");
    const result = await runAwsCli(
      sandbox,
      deployer,
      ["s3", "presign", "s3://releases/presign/cli.txt", "--expires-in", "300"],
      { AWS_CONFIG_FILE: config },
    );
    expect(result.code).toBe(0);
    const url = result.stdout.trim();
    expect(url).toContain("X-Amz-Signature=");
    expect(url).not.toContain("X-Amz-Content-Sha256");
    const response = await fetch(url);
    expect([response.status, await response.text()]).toEqual([200, "from the cli"]);
  });

  it("answers an expired presigned URL with AccessDenied, and one valid for over a week with AuthorizationQueryParametersError", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "releases", Key: "presign/old.txt", Body: "old" }));
    const url = await presignS3Url(sandbox, deployer, {
      method: "GET",
      bucket: "releases",
      key: "presign/old.txt",
      expiresIn: 60,
      signingDate: new Date(sandbox.clock.now() - 120_000),
    });
    const expired = await fetch(url);
    const body = await expired.text();
    expect([expired.status, xmlText(body, "Code"), xmlText(body, "Message")]).toEqual([
      403,
      "AccessDenied",
      "Request has expired",
    ]);
    const week = await presignS3Url(sandbox, deployer, {
      method: "GET",
      bucket: "releases",
      key: "presign/old.txt",
      expiresIn: 604_800,
    });
    expect((await fetch(week)).status).toBe(200);
    const tooLong = await fetch(week.replace("X-Amz-Expires=604800", "X-Amz-Expires=604801"));
    const tooLongBody = await tooLong.text();
    expect([tooLong.status, xmlText(tooLongBody, "Code"), xmlText(tooLongBody, "Message")]).toEqual([
      400,
      "AuthorizationQueryParametersError",
      "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
    ]);
  });
});
