// IAM's AccessDenied messages, word for word as AWS writes them: an action on a role names the
// resource "role NAME", and an explicit deny names a managed policy by its ARN and an inline one not
// at all. taskaccess matches "with an explicit deny in an identity-based policy" after GetRole to
// confirm that a revocation took effect.
import { AttachRolePolicyCommand, GetRoleCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import type { World } from "../../src/sandbox/world.js";
import {
  ACCOUNT,
  ADMIN,
  assumeRole,
  baseCredentials,
  type Credentials,
  DEPLOYER,
  expectError,
  iamClient,
  policyJson,
  READER,
  s3Client,
  startTestSandbox,
  worldWithAdmin,
} from "../helpers/sandbox.js";

const DENY_ALL = policyJson({ Effect: "Deny", Action: "*", Resource: "*" });
const MANAGED_DENY = `arn:aws:iam::${ACCOUNT}:policy/deny-everything`;

// The default world and user/admin, with deployer allowed to read itself (iam:GetRole) and a
// managed Deny policy to attach.
function world(): World {
  const result = worldWithAdmin();
  const account = result.accounts[0];
  const deployer = account?.roles?.find((role) => role.name === "deployer");
  if (!account || !deployer?.policies) throw new Error("the default world has no deployer role");
  deployer.policies["read-self"] = JSON.parse(
    policyJson({ Effect: "Allow", Action: "iam:GetRole", Resource: DEPLOYER }),
  );
  account.policies = [...(account.policies ?? []), { name: "deny-everything", document: DENY_ALL }];
  return result;
}

let sandbox: RunningSandbox;
let base: Credentials;
beforeEach(async () => {
  sandbox = await startTestSandbox({ world: world() });
  base = baseCredentials(sandbox);
});
afterEach(() => sandbox.close());

const getRole = (credentials: Credentials, name = "deployer") =>
  iamClient(sandbox, credentials).send(new GetRoleCommand({ RoleName: name }));

const putDenyAll = () =>
  iamClient(sandbox, base).send(
    new PutRolePolicyCommand({ RoleName: "deployer", PolicyName: "revoke-ta-x", PolicyDocument: DENY_ALL }),
  );

describe("iam:GetRole by an assumed-role session, denied", () => {
  it("by an inline Deny on *: 'on resource: role deployer with an explicit deny in an identity-based policy', no policy named", async () => {
    const { credentials } = await assumeRole(sandbox, base, { RoleSessionName: "ta-x" });
    expect((await getRole(credentials)).Role?.RoleName).toBe("deployer");
    await putDenyAll();
    const denied = await expectError(
      getRole(credentials),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-x is not authorized to perform: iam:GetRole on resource: role deployer with an explicit deny in an identity-based policy`,
    );
    // The journal still names the resource by its ARN and the denying policy by its name.
    expect(sandbox.journal.find({ requestId: denied.$metadata.requestId ?? "" })[0]).toMatchObject({
      action: "iam:GetRole",
      resource: DEPLOYER,
      decision: "deny",
      reason: expect.stringContaining('"revoke-ta-x"'),
    });
  });

  it("by an attached managed Deny: the message ends with the policy's ARN", async () => {
    const { credentials } = await assumeRole(sandbox, base, { RoleSessionName: "ta-managed" });
    await iamClient(sandbox, ADMIN).send(
      new AttachRolePolicyCommand({ RoleName: "deployer", PolicyArn: MANAGED_DENY }),
    );
    await expectError(
      getRole(credentials),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-managed is not authorized to perform: iam:GetRole on resource: role deployer with an explicit deny in an identity-based policy: ${MANAGED_DENY}`,
    );
  });

  it("because no identity-based policy allows it (role reader)", async () => {
    const { credentials } = await assumeRole(sandbox, base, { RoleArn: READER, RoleSessionName: "ta-y" });
    await expectError(
      getRole(credentials),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/reader/ta-y is not authorized to perform: iam:GetRole on resource: role deployer because no identity-based policy allows the iam:GetRole action`,
    );
  });

  it("because no session policy allows it", async () => {
    const { credentials } = await assumeRole(sandbox, base, {
      RoleSessionName: "ta-z",
      Policy: policyJson({ Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::releases" }),
    });
    await s3Client(sandbox, credentials).send(new ListObjectsV2Command({ Bucket: "releases" }));
    await expectError(
      getRole(credentials),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-z is not authorized to perform: iam:GetRole on resource: role deployer because no session policy allows the iam:GetRole action`,
    );
  });

  it("names a role that does not exist the same way", async () => {
    const { credentials } = await assumeRole(sandbox, base, { RoleSessionName: "ta-w" });
    await expectError(
      getRole(credentials, "no-such-role"),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-w is not authorized to perform: iam:GetRole on resource: role no-such-role because no identity-based policy allows the iam:GetRole action`,
    );
  });
});

describe("other services keep the sandbox's wording", () => {
  it("S3 quotes the ARN and names the inline policy after an explicit deny", async () => {
    const { credentials } = await assumeRole(sandbox, base, { RoleSessionName: "ta-s3" });
    await putDenyAll();
    await expectError(
      s3Client(sandbox, credentials).send(new ListObjectsV2Command({ Bucket: "releases" })),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-s3 is not authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::releases" with an explicit deny in an identity-based policy: revoke-ta-x`,
    );
  });
});
