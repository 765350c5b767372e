import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  type S3Client,
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
  runPython,
  S3_TESTER,
  s3Client,
  signedRequest,
  startTestSandbox,
  worldForS3,
  xmlText,
} from "../helpers/sandbox.js";

// S3 Object Lock through the real SDK: bucket configuration, retention set by PutObject or by the
// bucket's default, PutObjectRetention, and what a retention forbids. Times are the sandbox clock's,
// which the tests move forward. Expected answers: the botocore s3 model, the Amazon S3 User Guide, and
// S3's texts as LocalStack's AWS-validated snapshots recorded them.
const PROTECTED = "Access Denied because object protected by object lock.";
const DAY_MS = 86_400_000;

let sandbox: RunningSandbox;
let admin: S3Client;

beforeAll(async () => {
  sandbox = await startTestSandbox({
    world: worldForS3([
      "plain",
      { name: "versioned", versioning: true },
      { name: "locked", objectLock: true },
      { name: "defaulted", objectLock: { mode: "COMPLIANCE", days: 1 } },
    ]),
  });
  admin = s3Client(sandbox, ADMIN);
});
afterAll(async () => {
  await sandbox.close();
});

// A whole second (the SDK writes the header without milliseconds) `ms` after the sandbox's now.
const later = (ms: number) => new Date(Math.ceil((sandbox.clock.now() + ms) / 1000) * 1000);
const put = (input: Omit<PutObjectCommandInput, "Body"> & { Body?: string }) =>
  admin.send(new PutObjectCommand({ Body: "locked body", ...input }));
const session = async (
  name: string,
  actions: string[],
): Promise<{ client: S3Client; credentials: Credentials }> => {
  const { credentials } = await assumeRole(sandbox, baseCredentials(sandbox), {
    RoleArn: S3_TESTER,
    RoleSessionName: name,
    Policy: policyJson({ Effect: "Allow", Action: actions, Resource: "*" }),
  });
  return { client: s3Client(sandbox, credentials), credentials };
};
const notAllowed = (name: string, action: string, resource: string) =>
  `User: arn:aws:sts::${ACCOUNT}:assumed-role/s3-tester/${name} is not authorized to perform: ${action} on resource: "${resource}" because no session policy allows the ${action} action`;

describe("buckets with Object Lock", () => {
  it("CreateBucket with x-amz-bucket-object-lock-enabled turns on Object Lock and versioning, which cannot be suspended", async () => {
    await admin.send(new CreateBucketCommand({ Bucket: "created-locked", ObjectLockEnabledForBucket: true }));
    expect((await admin.send(new GetBucketVersioningCommand({ Bucket: "created-locked" }))).Status).toBe(
      "Enabled",
    );
    const config = await admin.send(new GetObjectLockConfigurationCommand({ Bucket: "created-locked" }));
    expect(config.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: "Enabled" });
    await expectError(
      admin.send(
        new PutBucketVersioningCommand({
          Bucket: "created-locked",
          VersioningConfiguration: { Status: "Suspended" },
        }),
      ),
      "InvalidBucketState",
      409,
      "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
    );
  });

  it("CreateBucket with Object Lock also needs s3:PutBucketObjectLockConfiguration and s3:PutBucketVersioning", async () => {
    const create = (client: S3Client) =>
      client.send(new CreateBucketCommand({ Bucket: "made-by-session", ObjectLockEnabledForBucket: true }));
    const denied: Array<[string[], string]> = [
      [["s3:CreateBucket"], "s3:PutBucketObjectLockConfiguration"],
      [["s3:CreateBucket", "s3:PutBucketObjectLockConfiguration"], "s3:PutBucketVersioning"],
    ];
    for (const [index, [actions, missing]] of denied.entries()) {
      const { client } = await session(`create-lock-${index}`, actions);
      await expectError(
        create(client),
        "AccessDenied",
        403,
        notAllowed(`create-lock-${index}`, missing, "arn:aws:s3:::made-by-session"),
      );
      expect(sandbox.state.buckets.has("made-by-session")).toBe(false);
    }
    const { client } = await session("create-lock-2", [
      "s3:CreateBucket",
      "s3:PutBucketObjectLockConfiguration",
      "s3:PutBucketVersioning",
    ]);
    expect((await create(client)).Location).toBe("/made-by-session");
    expect(sandbox.state.buckets.get("made-by-session")?.objectLock).toEqual({});
  });

  it("PutObjectLockConfiguration needs versioning Enabled on a bucket without Object Lock", async () => {
    const enable = (bucket: string) =>
      admin.send(
        new PutObjectLockConfigurationCommand({
          Bucket: bucket,
          ObjectLockConfiguration: { ObjectLockEnabled: "Enabled" },
        }),
      );
    await expectError(
      admin.send(new GetObjectLockConfigurationCommand({ Bucket: "plain" })),
      "ObjectLockConfigurationNotFoundError",
      404,
      "Object Lock configuration does not exist for this bucket",
    );
    await expectError(
      enable("plain"),
      "InvalidBucketState",
      409,
      "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
    );
    await enable("versioned");
    const config = await admin.send(new GetObjectLockConfigurationCommand({ Bucket: "versioned" }));
    expect(config.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: "Enabled" });
  });

  it("refuses a configuration that is not well-formed as MalformedXML", async () => {
    const ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
    const rule = (retention: string) =>
      `<ObjectLockConfiguration ${ns}><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>${retention}</DefaultRetention></Rule></ObjectLockConfiguration>`;
    for (const body of [
      rule("<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>"),
      rule("<Mode>GOVERNANCE</Mode>"),
      rule("<Mode>BAD-VALUE</Mode><Days>1</Days>"),
      `<ObjectLockConfiguration ${ns}><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`,
    ]) {
      const response = await signedRequest(sandbox, {
        method: "PUT",
        path: "/locked",
        query: { "object-lock": "" },
        service: "s3",
        credentials: ADMIN,
        body,
      });
      expect([response.status, xmlText(response.body, "Code")], body).toEqual([400, "MalformedXML"]);
    }
    expect(sandbox.state.buckets.get("locked")?.objectLock).toEqual({});
  });
});

describe("retention set when an object is written", () => {
  it("applies the bucket's default retention at write time (Days, then Years), and none once the rule is removed", async () => {
    const defaulted = await put({ Bucket: "defaulted", Key: "ci/default.log" });
    const head = await admin.send(new HeadObjectCommand({ Bucket: "defaulted", Key: "ci/default.log" }));
    const stored = sandbox.state.buckets.get("defaulted")?.versions.get("ci/default.log")?.[0];
    const written = stored?.lastModified ?? 0;
    expect(stored && "retention" in stored ? stored.retention : undefined).toEqual({
      mode: "COMPLIANCE",
      retainUntil: written + DAY_MS,
    });
    expect([head.VersionId, head.ObjectLockMode, head.ObjectLockRetainUntilDate?.getTime()]).toEqual([
      defaulted.VersionId,
      "COMPLIANCE",
      written + DAY_MS,
    ]);

    await admin.send(
      new PutObjectLockConfigurationCommand({
        Bucket: "locked",
        ObjectLockConfiguration: {
          ObjectLockEnabled: "Enabled",
          Rule: { DefaultRetention: { Mode: "GOVERNANCE", Years: 2 } },
        },
      }),
    );
    const config = await admin.send(new GetObjectLockConfigurationCommand({ Bucket: "locked" }));
    expect(config.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: "Enabled",
      Rule: { DefaultRetention: { Mode: "GOVERNANCE", Years: 2 } },
    });
    await put({ Bucket: "locked", Key: "ci/years.log" });
    const years = await admin.send(new GetObjectRetentionCommand({ Bucket: "locked", Key: "ci/years.log" }));
    const expected = new Date(
      sandbox.state.buckets.get("locked")?.objects.get("ci/years.log")?.lastModified ?? 0,
    );
    expected.setUTCFullYear(expected.getUTCFullYear() + 2);
    expect(years.Retention).toEqual({ Mode: "GOVERNANCE", RetainUntilDate: expected });

    await admin.send(
      new PutObjectLockConfigurationCommand({
        Bucket: "locked",
        ObjectLockConfiguration: { ObjectLockEnabled: "Enabled" },
      }),
    );
    await put({ Bucket: "locked", Key: "ci/free.log" });
    const free = await admin.send(new HeadObjectCommand({ Bucket: "locked", Key: "ci/free.log" }));
    expect([free.ObjectLockMode, free.ObjectLockRetainUntilDate]).toEqual([undefined, undefined]);
    await expectError(
      admin.send(new GetObjectRetentionCommand({ Bucket: "locked", Key: "ci/free.log" })),
      "NoSuchObjectLockConfiguration",
      404,
      "The specified object does not have a ObjectLock configuration",
    );
  });

  it("takes x-amz-object-lock-mode and x-amz-object-lock-retain-until-date over the default, and shows them on GetObject", async () => {
    const until = later(10 * 60_000);
    await put({
      Bucket: "defaulted",
      Key: "ci/explicit.log",
      ObjectLockMode: "GOVERNANCE",
      ObjectLockRetainUntilDate: until,
    });
    const got = await admin.send(new GetObjectCommand({ Bucket: "defaulted", Key: "ci/explicit.log" }));
    expect([got.ObjectLockMode, got.ObjectLockRetainUntilDate]).toEqual(["GOVERNANCE", until]);
    const retention = await admin.send(
      new GetObjectRetentionCommand({ Bucket: "defaulted", Key: "ci/explicit.log" }),
    );
    expect(retention.Retention).toEqual({ Mode: "GOVERNANCE", RetainUntilDate: until });
  });

  it("refuses retention headers on a bucket without Object Lock, and malformed ones", async () => {
    const until = later(60_000);
    await expectError(
      put({ Bucket: "plain", Key: "x", ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: until }),
      "InvalidRequest",
      400,
      "Bucket is missing ObjectLockConfiguration",
    );
    const raw = (headers: Record<string, string>) =>
      signedRequest(sandbox, {
        method: "PUT",
        path: "/locked/bad",
        service: "s3",
        credentials: ADMIN,
        headers,
        body: "x",
      });
    const both = "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied";
    const cases: Array<[Record<string, string>, number, string, string, string | undefined]> = [
      [
        { "x-amz-object-lock-mode": "GOVERNANCE" },
        400,
        "InvalidArgument",
        both,
        "x-amz-object-lock-retain-until-date",
      ],
      [
        { "x-amz-object-lock-retain-until-date": until.toISOString() },
        400,
        "InvalidArgument",
        both,
        "x-amz-object-lock-mode",
      ],
      [
        { "x-amz-object-lock-mode": "BAD-VALUE", "x-amz-object-lock-retain-until-date": until.toISOString() },
        400,
        "InvalidArgument",
        "Unknown wormMode directive.",
        "x-amz-object-lock-mode",
      ],
      [
        {
          "x-amz-object-lock-mode": "GOVERNANCE",
          "x-amz-object-lock-retain-until-date": "2020-01-01T00:00:00Z",
        },
        400,
        "InvalidArgument",
        "The retain until date must be in the future!",
        "x-amz-object-lock-retain-until-date",
      ],
      [
        { "x-amz-object-lock-legal-hold": "ON" },
        501,
        "NotImplemented",
        "Object Lock legal hold (x-amz-object-lock-legal-hold) is not emulated by the taskaccess sandbox.",
        undefined,
      ],
    ];
    for (const [headers, status, code, message, argument] of cases) {
      const response = await raw(headers);
      expect(
        [
          response.status,
          xmlText(response.body, "Code"),
          xmlText(response.body, "Message"),
          xmlText(response.body, "ArgumentName"),
        ],
        JSON.stringify(headers),
      ).toEqual([status, code, message, argument]);
    }
    expect(sandbox.state.buckets.get("locked")?.versions.has("bad")).toBe(false);
  });
});

describe("what a retention forbids", () => {
  it("COMPLIANCE: no delete of the version before its retain-until date, not even with the bypass; a delete marker is fine", async () => {
    const until = later(60_000);
    const { VersionId } = await put({
      Bucket: "locked",
      Key: "audit/session.log",
      ObjectLockMode: "COMPLIANCE",
      ObjectLockRetainUntilDate: until,
    });
    const deleteVersion = (bypass?: boolean) =>
      admin.send(
        new DeleteObjectCommand({
          Bucket: "locked",
          Key: "audit/session.log",
          VersionId,
          ...(bypass === undefined ? {} : { BypassGovernanceRetention: bypass }),
        }),
      );
    await expectError(deleteVersion(), "AccessDenied", 403, PROTECTED);
    await expectError(deleteVersion(true), "AccessDenied", 403, PROTECTED);

    const marker = await admin.send(new DeleteObjectCommand({ Bucket: "locked", Key: "audit/session.log" }));
    expect(marker.DeleteMarker).toBe(true);
    const versions = await admin.send(
      new ListObjectVersionsCommand({ Bucket: "locked", Prefix: "audit/session" }),
    );
    expect(versions.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([[VersionId, false]]);

    sandbox.clock.advance(61_000);
    const deleted = await deleteVersion();
    expect(deleted.VersionId).toBe(VersionId);
    const after = await admin.send(
      new ListObjectVersionsCommand({ Bucket: "locked", Prefix: "audit/session" }),
    );
    expect(after.Versions).toBeUndefined();
  });

  it("GOVERNANCE: deleting the version needs x-amz-bypass-governance-retention: true and s3:BypassGovernanceRetention", async () => {
    const { VersionId } = await put({
      Bucket: "locked",
      Key: "audit/governed.log",
      ObjectLockMode: "GOVERNANCE",
      ObjectLockRetainUntilDate: later(3_600_000),
    });
    const input = { Bucket: "locked", Key: "audit/governed.log", VersionId };
    await expectError(admin.send(new DeleteObjectCommand(input)), "AccessDenied", 403, PROTECTED);
    const { client, credentials } = await session("no-bypass", ["s3:DeleteObjectVersion"]);
    await expectError(
      client.send(new DeleteObjectCommand({ ...input, BypassGovernanceRetention: true })),
      "AccessDenied",
      403,
      notAllowed("no-bypass", "s3:BypassGovernanceRetention", "arn:aws:s3:::locked/audit/governed.log"),
    );
    const denial = sandbox.journal.find({ accessKeyId: credentials.accessKeyId, decision: "deny" });
    expect(denial.map((entry) => [entry.operation, entry.action])).toEqual([
      ["DeleteObject", "s3:BypassGovernanceRetention"],
    ]);
    const bypassed = await admin.send(new DeleteObjectCommand({ ...input, BypassGovernanceRetention: true }));
    expect(bypassed.VersionId).toBe(VersionId);
    expect(sandbox.state.buckets.get("locked")?.versions.has("audit/governed.log")).toBe(false);
  });

  it("refuses x-amz-bypass-governance-retention on a bucket without Object Lock", async () => {
    await admin.send(new PutObjectCommand({ Bucket: "plain", Key: "bypass", Body: "x" }));
    await expectError(
      admin.send(
        new DeleteObjectCommand({ Bucket: "plain", Key: "bypass", BypassGovernanceRetention: true }),
      ),
      "InvalidArgument",
      400,
      "x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.",
    );
  });
});

describe("PutObjectRetention and GetObjectRetention", () => {
  it("extends freely; shortening needs the bypass under GOVERNANCE and is refused under COMPLIANCE", async () => {
    const key = "audit/retained.log";
    const { VersionId } = await put({ Bucket: "locked", Key: key });
    const retain = (Mode: "GOVERNANCE" | "COMPLIANCE", until: Date, bypass = false) =>
      admin.send(
        new PutObjectRetentionCommand({
          Bucket: "locked",
          Key: key,
          VersionId,
          Retention: { Mode, RetainUntilDate: until },
          ...(bypass ? { BypassGovernanceRetention: true } : {}),
        }),
      );
    const read = async () =>
      (await admin.send(new GetObjectRetentionCommand({ Bucket: "locked", Key: key, VersionId }))).Retention;
    const t1 = later(60_000);
    const t2 = later(120_000);
    const t3 = later(180_000);
    await retain("GOVERNANCE", t2);
    await retain("GOVERNANCE", t3);
    expect(await read()).toEqual({ Mode: "GOVERNANCE", RetainUntilDate: t3 });
    await expectError(retain("GOVERNANCE", t1), "AccessDenied", 403, PROTECTED);
    await retain("GOVERNANCE", t1, true);
    expect(await read()).toEqual({ Mode: "GOVERNANCE", RetainUntilDate: t1 });
    await retain("COMPLIANCE", t2);
    await expectError(retain("COMPLIANCE", t1, true), "AccessDenied", 403, PROTECTED);
    await expectError(retain("GOVERNANCE", t3, true), "AccessDenied", 403, PROTECTED);
    expect(await read()).toEqual({ Mode: "COMPLIANCE", RetainUntilDate: t2 });
    await expectError(
      retain("COMPLIANCE", new Date(sandbox.clock.now() - 1000)),
      "InvalidArgument",
      400,
      "The retain until date must be in the future!",
    );
  });

  it("answers S3's errors for buckets without Object Lock, missing keys and delete markers", async () => {
    await admin.send(new PutObjectCommand({ Bucket: "plain", Key: "unlocked", Body: "x" }));
    const retention = { Mode: "GOVERNANCE" as const, RetainUntilDate: later(60_000) };
    await expectError(
      admin.send(new PutObjectRetentionCommand({ Bucket: "plain", Key: "unlocked", Retention: retention })),
      "InvalidRequest",
      400,
      "Bucket is missing Object Lock Configuration",
    );
    await expectError(
      admin.send(new GetObjectRetentionCommand({ Bucket: "plain", Key: "unlocked" })),
      "InvalidRequest",
      400,
      "Bucket is missing Object Lock Configuration",
    );
    await expectError(
      admin.send(
        new PutObjectRetentionCommand({ Bucket: "locked", Key: "never-written", Retention: retention }),
      ),
      "NoSuchKey",
      404,
    );
    await put({ Bucket: "locked", Key: "marked" });
    const marker = await admin.send(new DeleteObjectCommand({ Bucket: "locked", Key: "marked" }));
    const onMarker = await signedRequest(sandbox, {
      method: "GET",
      path: "/locked/marked",
      query: { retention: "", versionId: marker.VersionId ?? "" },
      service: "s3",
      credentials: ADMIN,
    });
    expect([onMarker.status, xmlText(onMarker.body, "Code"), xmlText(onMarker.body, "Method")]).toEqual([
      405,
      "MethodNotAllowed",
      "GET",
    ]);
  });
});

describe("authorization", () => {
  it("needs s3:PutObjectRetention for PutObject with retention headers, but not for the bucket's default", async () => {
    const { client } = await session("put-only", ["s3:PutObject"]);
    await expectError(
      client.send(
        new PutObjectCommand({
          Bucket: "defaulted",
          Key: "authz/explicit",
          Body: "x",
          ObjectLockMode: "COMPLIANCE",
          ObjectLockRetainUntilDate: later(60_000),
        }),
      ),
      "AccessDenied",
      403,
      notAllowed("put-only", "s3:PutObjectRetention", "arn:aws:s3:::defaulted/authz/explicit"),
    );
    expect(sandbox.state.buckets.get("defaulted")?.versions.has("authz/explicit")).toBe(false);
    await client.send(new PutObjectCommand({ Bucket: "defaulted", Key: "authz/default", Body: "x" }));
    expect(sandbox.state.buckets.get("defaulted")?.objects.get("authz/default")?.retention?.mode).toBe(
      "COMPLIANCE",
    );
  });

  it("authorizes the configuration and retention operations with their own actions", async () => {
    await put({
      Bucket: "locked",
      Key: "authz/r",
      ObjectLockMode: "GOVERNANCE",
      ObjectLockRetainUntilDate: later(60_000),
    });
    const name = "reader-only";
    const { client, credentials } = await session(name, ["s3:GetObject"]);
    const object = "arn:aws:s3:::locked/authz/r";
    const cases: Array<[() => Promise<unknown>, string, string]> = [
      [
        () => client.send(new GetObjectRetentionCommand({ Bucket: "locked", Key: "authz/r" })),
        "s3:GetObjectRetention",
        object,
      ],
      [
        () =>
          client.send(
            new PutObjectRetentionCommand({
              Bucket: "locked",
              Key: "authz/r",
              Retention: { Mode: "GOVERNANCE", RetainUntilDate: later(7_200_000) },
            }),
          ),
        "s3:PutObjectRetention",
        object,
      ],
      [
        () => client.send(new GetObjectLockConfigurationCommand({ Bucket: "locked" })),
        "s3:GetBucketObjectLockConfiguration",
        "arn:aws:s3:::locked",
      ],
      [
        () =>
          client.send(
            new PutObjectLockConfigurationCommand({
              Bucket: "locked",
              ObjectLockConfiguration: { ObjectLockEnabled: "Enabled" },
            }),
          ),
        "s3:PutBucketObjectLockConfiguration",
        "arn:aws:s3:::locked",
      ],
    ];
    for (const [call, action, resource] of cases) {
      await expectError(call(), "AccessDenied", 403, notAllowed(name, action, resource));
    }
    expect(
      sandbox.journal
        .find({ accessKeyId: credentials.accessKeyId, decision: "deny" })
        .map((entry) => entry.operation),
    ).toEqual([
      "GetObjectRetention",
      "PutObjectRetention",
      "GetObjectLockConfiguration",
      "PutObjectLockConfiguration",
    ]);
    // GetObject succeeds, without the retention the caller may not see (Amazon S3 User Guide, "Managing
    // Object Lock"); with s3:GetObjectRetention it is there.
    const hidden = await client.send(new GetObjectCommand({ Bucket: "locked", Key: "authz/r" }));
    expect([hidden.ObjectLockMode, hidden.ObjectLockRetainUntilDate]).toEqual([undefined, undefined]);
    const { client: viewer } = await session("viewer", ["s3:GetObject", "s3:GetObjectRetention"]);
    const shown = await viewer.send(new GetObjectCommand({ Bucket: "locked", Key: "authz/r" }));
    expect(shown.ObjectLockMode).toBe("GOVERNANCE");
  });
});

describe("boto3", () => {
  it("puts a locked object and reads its retention back", async () => {
    const until = later(3_600_000).toISOString();
    const script = `
import json, boto3, botocore.config, botocore.exceptions, datetime
s3 = boto3.client("s3", config=botocore.config.Config(s3={"addressing_style": "path"}))
until = datetime.datetime.fromisoformat("${until}".replace("Z", "+00:00"))
put = s3.put_object(Bucket="locked", Key="boto3/locked", Body=b"x", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until)
retention = s3.get_object_retention(Bucket="locked", Key="boto3/locked")["Retention"]
try:
    s3.delete_object(Bucket="locked", Key="boto3/locked", VersionId=put["VersionId"])
    denied = None
except botocore.exceptions.ClientError as error:
    denied = error.response["Error"]
print(json.dumps({"mode": retention["Mode"], "until": retention["RetainUntilDate"].isoformat(), "denied": denied}))
`;
    const result = await runPython(sandbox, ADMIN, script);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      mode: "COMPLIANCE",
      until: until.replace(".000Z", "+00:00"),
      denied: { Code: "AccessDenied", Message: PROTECTED },
    });
  });
});
