import { createHash } from "node:crypto";
import { DeleteRolePolicyCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import {
  ACCOUNT,
  assumeRole,
  baseCredentials,
  type Credentials,
  expectError,
  iamClient,
  policyJson,
  s3Client,
  startTestSandbox,
  stsClient,
} from "../helpers/sandbox.js";

// The task's session policy: PutObject and GetObject under releases/app/ only, although the role
// (deployer) may do anything in the releases bucket.
const SESSION_POLICY = policyJson({
  Effect: "Allow",
  Action: ["s3:PutObject", "s3:GetObject"],
  Resource: "arn:aws:s3:::releases/app/*",
});

let sandbox: RunningSandbox;
let base: Credentials;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  base = baseCredentials(sandbox);
});
afterAll(() => sandbox.close());

describe("a task session through the JS SDK v3", () => {
  it("assumes the role with a session policy, sees itself as the assumed role, and is held to the session policy", async () => {
    const { credentials, output } = await assumeRole(sandbox, base, {
      RoleSessionName: "sdk-task",
      Policy: SESSION_POLICY,
      DurationSeconds: 900,
    });
    const roleId = sandbox.state.findRole(ACCOUNT, "deployer")?.roleId;
    expect(roleId).toMatch(/^AROA[A-Z2-7]{16}$/);
    expect(output.AssumedRoleUser).toEqual({
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/sdk-task`,
      AssumedRoleId: `${roleId}:sdk-task`,
    });
    expect(credentials.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(credentials.secretAccessKey).toHaveLength(40);
    expect(output.PackedPolicySize).toBeGreaterThan(0);
    expect(output.PackedPolicySize).toBeLessThanOrEqual(100);
    const expiration = output.Credentials?.Expiration?.getTime() ?? 0;
    expect(Math.abs(expiration - (sandbox.clock.now() + 900_000))).toBeLessThan(5_000);

    const identity = await stsClient(sandbox, credentials).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/deployer/sdk-task`);
    expect(identity.UserId).toBe(`${roleId}:sdk-task`);
    expect(identity.Account).toBe(ACCOUNT);
    expect(identity.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);

    const s3 = s3Client(sandbox, credentials);
    const put = await s3.send(
      new PutObjectCommand({ Bucket: "releases", Key: "app/1.4.2/app.tgz", Body: "release bytes" }),
    );
    expect(put.$metadata.httpStatusCode).toBe(200);
    expect(put.ETag).toBe(`"${md5("release bytes")}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: "releases", Key: "app/1.4.2/app.tgz" }));
    expect(await got.Body?.transformToString()).toBe("release bytes");

    const denied = await expectError(
      s3.send(new PutObjectCommand({ Bucket: "releases", Key: "other/x", Body: "nope" })),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/sdk-task is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::releases/other/x" because no session policy allows the s3:PutObject action`,
    );
    expect(denied.name).toBe("AccessDenied");
    expect(denied.$metadata.httpStatusCode).toBe(403);
    expect(denied.$fault).toBe("client");
    expect(sandbox.state.buckets.get("releases")?.objects.has("other/x")).toBe(false);
  });

  it("lets the role's own policy decide when no session policy is passed", async () => {
    const { credentials } = await assumeRole(sandbox, base, { RoleSessionName: "no-session-policy" });
    const s3 = s3Client(sandbox, credentials);
    await s3.send(new PutObjectCommand({ Bucket: "releases", Key: "other/ok", Body: "x" }));
    await expectError(
      s3.send(new PutObjectCommand({ Bucket: "other", Key: "x", Body: "x" })),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/no-session-policy is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::other/x" because no identity-based policy allows the s3:PutObject action`,
    );
  });
});

describe("a deny on one session's aws:userid", () => {
  it("denies that session only, and lifts when the policy is deleted", async () => {
    const a = await assumeRole(sandbox, base, { RoleSessionName: "session-a", Policy: SESSION_POLICY });
    const b = await assumeRole(sandbox, base, { RoleSessionName: "session-b", Policy: SESSION_POLICY });
    const aId = a.output.AssumedRoleUser?.AssumedRoleId ?? "";
    expect(aId).toMatch(/^AROA[A-Z2-7]{16}:session-a$/);
    const s3a = s3Client(sandbox, a.credentials);
    const s3b = s3Client(sandbox, b.credentials);
    const put = (client: typeof s3a, key: string) =>
      client.send(new PutObjectCommand({ Bucket: "releases", Key: key, Body: key }));
    await put(s3a, "app/a-before");

    const iam = iamClient(sandbox, base);
    const revoke = await iam.send(
      new PutRolePolicyCommand({
        RoleName: "deployer",
        PolicyName: "revoke-session-a",
        PolicyDocument: policyJson({
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { StringEquals: { "aws:userid": aId } },
        }),
      }),
    );
    expect(revoke.$metadata.httpStatusCode).toBe(200);

    // The sandbox names the denying inline policy after the colon, as AWS names a managed policy's ARN.
    const denied = await expectError(
      put(s3a, "app/a-during"),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/session-a is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::releases/app/a-during" with an explicit deny in an identity-based policy: revoke-session-a`,
    );
    await put(s3b, "app/b-during");

    // The revocation is on the role: the journal records which policy denied whom.
    const entry = sandbox.journal.find({ requestId: denied.$metadata.requestId ?? "" })[0];
    expect(entry).toMatchObject({
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/session-a`,
      action: "s3:PutObject",
      resource: "arn:aws:s3:::releases/app/a-during",
      decision: "deny",
      status: 403,
      errorCode: "AccessDenied",
    });
    expect(entry?.reason).toContain("revoke-session-a");

    await iam.send(new DeleteRolePolicyCommand({ RoleName: "deployer", PolicyName: "revoke-session-a" }));
    await put(s3a, "app/a-after");
    const keys = [...(sandbox.state.buckets.get("releases")?.objects.keys() ?? [])];
    expect(keys).toEqual(expect.arrayContaining(["app/a-before", "app/b-during", "app/a-after"]));
    expect(keys).not.toContain("app/a-during");
  });
});

function md5(text: string): string {
  return createHash("md5").update(text).digest("hex");
}
