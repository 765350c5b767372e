import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMServiceException,
  LimitExceededException,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import {
  ACCOUNT,
  ADMIN,
  assumeRole,
  baseCredentials,
  type Credentials,
  expectError,
  iamClient,
  policyJson,
  s3Client,
  signedQuery,
  startTestSandbox,
  worldWithAdmin,
  xmlText,
} from "../helpers/sandbox.js";

let sandbox: RunningSandbox;
let base: Credentials;

beforeAll(async () => {
  sandbox = await startTestSandbox({ world: worldWithAdmin() });
  base = baseCredentials(sandbox);
});
afterAll(() => sandbox.close());

const TRUST = policyJson({
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: "sts:AssumeRole",
});

const admin = () => iamClient(sandbox, ADMIN);

describe("roles", () => {
  it("returns a role with its trust policy URL-encoded, and NoSuchEntity 404 for a missing one", async () => {
    const { Role } = await iamClient(sandbox, base).send(new GetRoleCommand({ RoleName: "deployer" }));
    expect(Role).toMatchObject({
      RoleName: "deployer",
      Path: "/",
      Arn: `arn:aws:iam::${ACCOUNT}:role/deployer`,
      MaxSessionDuration: 43_200,
      Tags: [{ Key: "purpose", Value: "deploy" }],
    });
    expect(Role?.RoleId).toMatch(/^AROA[A-Z2-7]{16}$/);
    expect(Role?.CreateDate).toBeInstanceOf(Date);
    // The SDK hands the document over as IAM sent it: URL-encoded.
    expect(Role?.AssumeRolePolicyDocument).toMatch(/^%7B%22Version%22%3A%222012-10-17%22/);
    expect(JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? ""))).toMatchObject({
      Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } }],
    });

    const missing = await expectError(
      iamClient(sandbox, base).send(new GetRoleCommand({ RoleName: "no-such-role" })),
      "NoSuchEntity",
      404,
      "The role with name no-such-role cannot be found.",
    );
    expect(missing).toBeInstanceOf(NoSuchEntityException);
    expect(missing.name).toBe("NoSuchEntityException");
  });

  it("creates a role, refuses a duplicate with EntityAlreadyExists 409, and checks the caller's permission", async () => {
    const created = await admin().send(
      new CreateRoleCommand({
        RoleName: "builder",
        Path: "/ci/",
        AssumeRolePolicyDocument: TRUST,
        MaxSessionDuration: 7200,
        Tags: [{ Key: "team", Value: "platform" }],
      }),
    );
    expect(created.Role).toMatchObject({
      RoleName: "builder",
      Path: "/ci/",
      Arn: `arn:aws:iam::${ACCOUNT}:role/ci/builder`,
      MaxSessionDuration: 7200,
      Tags: [{ Key: "team", Value: "platform" }],
    });
    expect(decodeURIComponent(created.Role?.AssumeRolePolicyDocument ?? "")).toBe(TRUST);

    const duplicate = await expectError(
      admin().send(new CreateRoleCommand({ RoleName: "builder", AssumeRolePolicyDocument: TRUST })),
      "EntityAlreadyExists",
      409,
      "Role with name builder already exists.",
    );
    expect(duplicate).toBeInstanceOf(EntityAlreadyExistsException);

    await expectError(
      iamClient(sandbox, base).send(
        new CreateRoleCommand({ RoleName: "sneaky", AssumeRolePolicyDocument: TRUST }),
      ),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${ACCOUNT}:user/base is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::${ACCOUNT}:role/sneaky because no identity-based policy allows the iam:CreateRole action`,
    );
    await expectError(
      admin().send(
        new CreateRoleCommand({
          RoleName: "short",
          AssumeRolePolicyDocument: TRUST,
          MaxSessionDuration: 1800,
        }),
      ),
      "ValidationError",
      400,
      "1 validation error detected: Value '1800' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600",
    );
    const badTrust = await expectError(
      admin().send(
        new CreateRoleCommand({
          RoleName: "bad-trust",
          AssumeRolePolicyDocument: policyJson({ Effect: "Allow", Action: "sts:AssumeRole" }),
        }),
      ),
      "MalformedPolicyDocument",
      400,
      "Missing required field Principal",
    );
    expect(badTrust).toBeInstanceOf(MalformedPolicyDocumentException);
    expect(sandbox.state.findRole(ACCOUNT, "bad-trust")).toBeUndefined();
  });
});

describe("inline role policies", () => {
  it("puts, gets (URL-encoded on the wire), lists with paging, and deletes", async () => {
    await admin().send(new CreateRoleCommand({ RoleName: "pager", AssumeRolePolicyDocument: TRUST }));
    const iam = iamClient(sandbox, base);
    const names = ["p-a", "p-b", "p-c", "p-d", "p-e"];
    for (const name of names.slice().reverse()) {
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: "pager",
          PolicyName: name,
          PolicyDocument: policyJson({
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: `arn:aws:s3:::${name}/*`,
          }),
        }),
      );
    }

    const document = policyJson({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::p-c/*" });
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: "pager", PolicyName: "p-c" }));
    expect(got).toMatchObject({ RoleName: "pager", PolicyName: "p-c" });
    // The SDK does not decode the document: it is what the wire says, RFC 3986-encoded.
    expect(got.PolicyDocument).toBe(encodeURIComponent(document));
    expect(decodeURIComponent(got.PolicyDocument ?? "")).toBe(document);
    const raw = await signedQuery(sandbox, "iam", base, {
      Action: "GetRolePolicy",
      RoleName: "pager",
      PolicyName: "p-c",
    });
    expect(raw.status).toBe(200);
    expect(raw.headers["content-type"]).toBe("text/xml");
    expect(raw.body).toContain('<GetRolePolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">');
    expect(xmlText(raw.body, "PolicyDocument")).toBe(encodeURIComponent(document));
    expect(xmlText(raw.body, "RequestId")).toBe(raw.headers["x-amzn-requestid"]);

    const pages: Array<{ names: string[] | undefined; truncated: boolean | undefined }> = [];
    let marker: string | undefined;
    do {
      const page = await iam.send(
        new ListRolePoliciesCommand({
          RoleName: "pager",
          MaxItems: 2,
          ...(marker ? { Marker: marker } : {}),
        }),
      );
      pages.push({ names: page.PolicyNames, truncated: page.IsTruncated });
      marker = page.Marker;
      expect(page.IsTruncated).toBe(marker !== undefined);
    } while (marker && pages.length < 10);
    expect(pages).toEqual([
      { names: ["p-a", "p-b"], truncated: true },
      { names: ["p-c", "p-d"], truncated: true },
      { names: ["p-e"], truncated: false },
    ]);
    const all = await iam.send(new ListRolePoliciesCommand({ RoleName: "pager" }));
    expect(all).toMatchObject({ PolicyNames: names, IsTruncated: false });
    expect(all.Marker).toBeUndefined();
    await expectError(
      iam.send(new ListRolePoliciesCommand({ RoleName: "pager", MaxItems: 0 })),
      "ValidationError",
      400,
      "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );

    await iam.send(new DeleteRolePolicyCommand({ RoleName: "pager", PolicyName: "p-c" }));
    const gone = await expectError(
      iam.send(new GetRolePolicyCommand({ RoleName: "pager", PolicyName: "p-c" })),
      "NoSuchEntity",
      404,
      "The role policy with name p-c cannot be found.",
    );
    expect(gone).toBeInstanceOf(NoSuchEntityException);
    await expectError(
      iam.send(new DeleteRolePolicyCommand({ RoleName: "pager", PolicyName: "p-c" })),
      "NoSuchEntity",
      404,
      "The role policy with name p-c cannot be found.",
    );
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: "pager" }))).PolicyNames).toEqual([
      "p-a",
      "p-b",
      "p-d",
      "p-e",
    ]);
  });

  it("rejects a malformed inline policy", async () => {
    const error = await expectError(
      iamClient(sandbox, base).send(
        new PutRolePolicyCommand({ RoleName: "reader", PolicyName: "broken", PolicyDocument: "not json" }),
      ),
      "MalformedPolicyDocument",
      400,
      "Syntax errors in policy.",
    );
    expect(error).toBeInstanceOf(MalformedPolicyDocumentException);
    expect(error).toBeInstanceOf(IAMServiceException);
  });

  it("enforces the 10,240-character aggregate of a role's inline policies, not counting white space", async () => {
    await admin().send(new CreateRoleCommand({ RoleName: "big", AssumeRolePolicyDocument: TRUST }));
    const iam = iamClient(sandbox, base);
    // A policy of exactly `size` characters once white space is removed.
    const sized = (size: number, pretty = false) => {
      const empty = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/" }],
      });
      const doc = {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: `arn:aws:s3:::b/${"k".repeat(size - empty.length)}`,
          },
        ],
      };
      expect(JSON.stringify(doc)).toHaveLength(size);
      return pretty ? JSON.stringify(doc, null, 40) : JSON.stringify(doc);
    };
    const put = (name: string, document: string) =>
      iam.send(new PutRolePolicyCommand({ RoleName: "big", PolicyName: name, PolicyDocument: document }));
    await put("one", sized(4000));
    await put("two", sized(4000, true));
    // Replacing a policy counts the new version only.
    await put("two", sized(4000));
    // Exactly at the limit without white space, over it with.
    const three = sized(2240, true);
    expect(three.length).toBeGreaterThan(2240 + 100);
    await put("three", three);
    const over = await expectError(
      put("four", sized(200)),
      "LimitExceeded",
      409,
      "Maximum policy size of 10240 bytes exceeded for role big",
    );
    expect(over).toBeInstanceOf(LimitExceededException);
    expect(over.name).toBe("LimitExceededException");
    await expectError(put("three", sized(2241)), "LimitExceeded", 409);
    expect([...(sandbox.state.findRole(ACCOUNT, "big")?.inline.keys() ?? [])]).toEqual([
      "one",
      "two",
      "three",
    ]);
  });
});

describe("managed policies", () => {
  it("creates, reads, attaches and lists a managed policy, and uses it as a session policy", async () => {
    const document = policyJson({
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: "arn:aws:s3:::releases/managed/*",
    });
    const created = await admin().send(
      new CreatePolicyCommand({ PolicyName: "release-upload", Path: "/tasks/", PolicyDocument: document }),
    );
    const arn = `arn:aws:iam::${ACCOUNT}:policy/tasks/release-upload`;
    expect(created.Policy).toMatchObject({
      PolicyName: "release-upload",
      Arn: arn,
      Path: "/tasks/",
      DefaultVersionId: "v1",
      AttachmentCount: 0,
      IsAttachable: true,
    });
    expect(created.Policy?.PolicyId).toMatch(/^ANPA[A-Z2-7]{16}$/);
    const duplicate = await expectError(
      admin().send(
        new CreatePolicyCommand({ PolicyName: "release-upload", Path: "/tasks/", PolicyDocument: document }),
      ),
      "EntityAlreadyExists",
      409,
      "A policy called release-upload already exists. Duplicate names are not allowed.",
    );
    expect(duplicate).toBeInstanceOf(EntityAlreadyExistsException);

    const iam = iamClient(sandbox, base);
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" }));
    expect(version.PolicyVersion).toMatchObject({ VersionId: "v1", IsDefaultVersion: true });
    expect(version.PolicyVersion?.Document).toBe(encodeURIComponent(document));
    await expectError(
      iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" })),
      "NoSuchEntity",
      404,
      `Policy ${arn} version v2 does not exist or is not attachable.`,
    );

    await admin().send(new AttachRolePolicyCommand({ RoleName: "deployer", PolicyArn: arn }));
    // Attaching twice is a no-op, as in IAM.
    await admin().send(new AttachRolePolicyCommand({ RoleName: "deployer", PolicyArn: arn }));
    expect((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.AttachmentCount).toBe(1);
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "deployer" }));
    expect(attached).toMatchObject({
      AttachedPolicies: [{ PolicyName: "release-upload", PolicyArn: arn }],
      IsTruncated: false,
    });
    expect(
      (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "deployer", PathPrefix: "/other/" })))
        .AttachedPolicies,
    ).toEqual([]);
    const missing = `arn:aws:iam::${ACCOUNT}:policy/nope`;
    await expectError(
      admin().send(new AttachRolePolicyCommand({ RoleName: "deployer", PolicyArn: missing })),
      "NoSuchEntity",
      404,
      `Policy ${missing} does not exist or is not attachable.`,
    );
    await expectError(
      iam.send(new GetPolicyCommand({ PolicyArn: missing })),
      "NoSuchEntity",
      404,
      `Policy ${missing} does not exist or is not attachable.`,
    );

    // As a managed session policy (PolicyArns), it limits the session to its own allowance.
    const { credentials } = await assumeRole(sandbox, base, {
      RoleSessionName: "managed",
      PolicyArns: [{ arn }],
    });
    const s3 = s3Client(sandbox, credentials);
    await s3.send(new PutObjectCommand({ Bucket: "releases", Key: "managed/ok", Body: "x" }));
    await expectError(
      s3.send(new PutObjectCommand({ Bucket: "releases", Key: "app/no", Body: "x" })),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/managed is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::releases/app/no" because no session policy allows the s3:PutObject action`,
    );
  });
});

describe("the wire", () => {
  it("puts the request id in the x-amzn-requestid header and the body, for answers and errors", async () => {
    for (const [service, params] of [
      ["sts", { Action: "GetCallerIdentity" }],
      ["iam", { Action: "GetRole", RoleName: "deployer" }],
      ["iam", { Action: "GetRole", RoleName: "missing" }],
      ["iam", { Action: "NoSuchAction" }],
    ] as const) {
      const response = await signedQuery(sandbox, service, base, params);
      const id = response.headers["x-amzn-requestid"];
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(xmlText(response.body, "RequestId")).toBe(id);
    }
    const error = await signedQuery(sandbox, "iam", base, { Action: "GetRole", RoleName: "missing" });
    expect(error.status).toBe(404);
    expect(error.body).toBe(
      `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name missing cannot be found.</Message></Error><RequestId>${error.headers["x-amzn-requestid"]}</RequestId></ErrorResponse>`,
    );
    const unsigned = await fetch(sandbox.endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=GetCallerIdentity&Version=2011-06-15",
    });
    const unsignedId = unsigned.headers.get("x-amzn-requestid");
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toBe(
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message></Error><RequestId>${unsignedId}</RequestId></ErrorResponse>`,
    );
    const unknown = await signedQuery(sandbox, "iam", base, { Action: "NoSuchAction" });
    expect([unknown.status, xmlText(unknown.body, "Code"), xmlText(unknown.body, "Message")]).toEqual([
      400,
      "InvalidAction",
      "Could not find operation NoSuchAction for version 2010-05-08",
    ]);
  });
});
