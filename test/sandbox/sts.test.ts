import { randomBytes } from "node:crypto";
import {
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { ListBucketsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  GetCallerIdentityCommand,
  MalformedPolicyDocumentException,
  PackedPolicyTooLargeException,
  STSServiceException,
} from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
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
  signedQuery,
  startTestSandbox,
  stsClient,
  worldWithAdmin,
  wrongSecret,
  xmlText,
} from "../helpers/sandbox.js";

let sandbox: RunningSandbox;
let base: Credentials;

beforeAll(async () => {
  sandbox = await startTestSandbox({ world: worldWithAdmin() });
  base = baseCredentials(sandbox);
});
afterAll(() => sandbox.close());

const assume = (input: Partial<AssumeRoleCommandInput>, caller: Credentials = base) =>
  stsClient(sandbox, caller).send(
    new AssumeRoleCommand({ RoleArn: DEPLOYER, RoleSessionName: "s1", ...input }),
  );

const validation = (value: string, field: string, constraint: string) =>
  `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must ${constraint}`;

const trustRoot = (condition?: Record<string, unknown>) =>
  policyJson({
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
    Action: "sts:AssumeRole",
    ...(condition ? { Condition: condition } : {}),
  });

describe("authentication errors", () => {
  it("answers a wrong secret with SignatureDoesNotMatch 403 on every service", async () => {
    const wrong = { ...base, secretAccessKey: wrongSecret(base.secretAccessKey) };
    const message =
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
    const sts = await expectError(
      stsClient(sandbox, wrong).send(new GetCallerIdentityCommand({})),
      "SignatureDoesNotMatch",
      403,
      message,
    );
    expect(sts).toBeInstanceOf(STSServiceException);
    await expectError(
      iamClient(sandbox, wrong).send(new GetRoleCommand({ RoleName: "deployer" })),
      "SignatureDoesNotMatch",
      403,
      message,
    );
    await expectError(
      s3Client(sandbox, wrong).send(new ListBucketsCommand({})),
      "SignatureDoesNotMatch",
      403,
      message,
    );
  });

  it("answers an unknown key with InvalidClientTokenId (STS, IAM) and InvalidAccessKeyId (S3)", async () => {
    const unknown = { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: base.secretAccessKey };
    await expectError(
      stsClient(sandbox, unknown).send(new GetCallerIdentityCommand({})),
      "InvalidClientTokenId",
      403,
      "The security token included in the request is invalid.",
    );
    await expectError(
      iamClient(sandbox, unknown).send(new GetRoleCommand({ RoleName: "deployer" })),
      "InvalidClientTokenId",
      403,
      "The security token included in the request is invalid.",
    );
    await expectError(
      s3Client(sandbox, unknown).send(new ListBucketsCommand({})),
      "InvalidAccessKeyId",
      403,
      "The AWS Access Key Id you provided does not exist in our records.",
    );
  });

  it("answers a session key sent with another session's token as invalid", async () => {
    const one = await assumeRole(sandbox, base, { RoleSessionName: "token-one" });
    const two = await assumeRole(sandbox, base, { RoleSessionName: "token-two" });
    const mixed = { ...one.credentials, sessionToken: two.credentials.sessionToken ?? "" };
    await expectError(
      stsClient(sandbox, mixed).send(new GetCallerIdentityCommand({})),
      "InvalidClientTokenId",
      403,
      "The security token included in the request is invalid.",
    );
    await expectError(
      s3Client(sandbox, mixed).send(new ListBucketsCommand({})),
      "InvalidToken",
      400,
      "The provided token is malformed or otherwise invalid.",
    );
  });

  it("refuses a request signed more than 15 minutes away from the server clock, in both directions", async () => {
    for (const offset of [20 * 60_000, -20 * 60_000]) {
      const sts = stsClient(sandbox, base, { systemClockOffset: offset });
      const error = await expectError(sts.send(new GetCallerIdentityCommand({})), "RequestExpired", 403);
      expect(error.message).toMatch(
        /^Request timestamp \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z is more than 15 minutes away from the server time \d{4}-\d\d-\d\dT[\d:.]+Z\.$/,
      );
      expect(error.$metadata.attempts).toBe(1);
      // The SDK corrects its offset from the response's Date header, so the next call succeeds.
      expect(sts.config.systemClockOffset).not.toBe(offset);
      expect(Math.abs(sts.config.systemClockOffset)).toBeLessThan(2_000);
      expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(
        `arn:aws:iam::${ACCOUNT}:user/base`,
      );
    }
    await expectError(
      s3Client(sandbox, base, { systemClockOffset: 16 * 60_000 }).send(new ListBucketsCommand({})),
      "RequestTimeTooSkewed",
      403,
    );
    // 14 minutes is within the allowed skew.
    const within = stsClient(sandbox, base, { systemClockOffset: 14 * 60_000 });
    expect((await within.send(new GetCallerIdentityCommand({}))).Account).toBe(ACCOUNT);
  });
});

describe("AssumeRole parameter validation", () => {
  it("checks RoleSessionName: pattern, minimum and maximum length", async () => {
    const error = await expectError(
      assume({ RoleSessionName: "has space" }),
      "ValidationError",
      400,
      validation("has space", "roleSessionName", "satisfy regular expression pattern: [\\w+=,.@-]*"),
    );
    expect(error).toBeInstanceOf(STSServiceException);
    expect(error.$fault).toBe("client");
    await expectError(
      assume({ RoleSessionName: "a" }),
      "ValidationError",
      400,
      validation("a", "roleSessionName", "have length greater than or equal to 2"),
    );
    const long = "x".repeat(65);
    await expectError(
      assume({ RoleSessionName: long }),
      "ValidationError",
      400,
      validation(long, "roleSessionName", "have length less than or equal to 64"),
    );
    // The bounds themselves are accepted; every allowed punctuation character too.
    await assume({ RoleSessionName: "ab" });
    await assume({ RoleSessionName: "y".repeat(64) });
    await assume({ RoleSessionName: "a_b+c=d,e.f@g-h" });
  });

  it("reports every problem of a request together", async () => {
    await expectError(
      assume({ RoleSessionName: "a", DurationSeconds: 60 }),
      "ValidationError",
      400,
      "2 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
  });

  it("checks DurationSeconds against 900..43200 and the role's MaxSessionDuration", async () => {
    await expectError(
      assume({ DurationSeconds: 899 }),
      "ValidationError",
      400,
      validation("899", "durationSeconds", "have value greater than or equal to 900"),
    );
    await expectError(
      assume({ DurationSeconds: 43_201 }),
      "ValidationError",
      400,
      validation("43201", "durationSeconds", "have value less than or equal to 43200"),
    );
    // deployer allows 12 hours.
    const long = await assume({ DurationSeconds: 43_200 });
    expect((long.Credentials?.Expiration?.getTime() ?? 0) - sandbox.clock.now()).toBeGreaterThan(43_190_000);

    const created = await iamClient(sandbox, ADMIN).send(
      new CreateRoleCommand({
        RoleName: "one-hour",
        AssumeRolePolicyDocument: trustRoot(),
        MaxSessionDuration: 3600,
      }),
    );
    expect(created.Role?.MaxSessionDuration).toBe(3600);
    const oneHour = `arn:aws:iam::${ACCOUNT}:role/one-hour`;
    await expectError(
      assume({ RoleArn: oneHour, DurationSeconds: 3601 }),
      "ValidationError",
      400,
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
    const ok = await assume({ RoleArn: oneHour, DurationSeconds: 3600 });
    expect(ok.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/one-hour/s1`);
  });

  it("limits a chained session (a role session assuming a role) to one hour", async () => {
    // The deployer role needs sts:AssumeRole on reader in its identity policy (reader trusts the account).
    await iamClient(sandbox, base).send(
      new PutRolePolicyCommand({
        RoleName: "deployer",
        PolicyName: "chain-to-reader",
        PolicyDocument: policyJson({ Effect: "Allow", Action: "sts:AssumeRole", Resource: READER }),
      }),
    );
    const first = await assumeRole(sandbox, base, {
      RoleSessionName: "chain-1",
      Policy: policyJson({ Effect: "Allow", Action: "sts:AssumeRole", Resource: READER }),
    });
    await expectError(
      assume({ RoleArn: READER, RoleSessionName: "chain-2", DurationSeconds: 3601 }, first.credentials),
      "ValidationError",
      400,
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
    const chained = await assume({ RoleArn: READER, RoleSessionName: "chain-2" }, first.credentials);
    expect(chained.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/reader/chain-2`);
    // Without sts:AssumeRole in the session policy, the chain is refused.
    const narrow = await assumeRole(sandbox, base, {
      RoleSessionName: "chain-narrow",
      Policy: policyJson({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }),
    });
    await expectError(
      assume({ RoleArn: READER, RoleSessionName: "chain-3" }, narrow.credentials),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/chain-narrow is not authorized to perform: sts:AssumeRole on resource: ${READER}`,
    );
  });

  it("limits the inline policy to 2048 characters, PolicyArns to 10 and Tags to 50", async () => {
    const statement = { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::releases/app/*" };
    const padded = JSON.stringify({ Version: "2012-10-17", Statement: [statement], Id: "" });
    const policy2049 = padded.replace('"Id":""', `"Id":"${"p".repeat(2049 - padded.length)}"`);
    expect(policy2049).toHaveLength(2049);
    await expectError(
      assume({ Policy: policy2049 }),
      "ValidationError",
      400,
      validation(policy2049, "policy", "have length less than or equal to 2048"),
    );
    const policyArns = Array.from({ length: 11 }, (_, i) => ({
      arn: `arn:aws:iam::${ACCOUNT}:policy/p${i}`,
    }));
    await expectError(
      assume({ PolicyArns: policyArns }),
      "ValidationError",
      400,
      validation("[11 items]", "policyArns", "have length less than or equal to 10"),
    );
    const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    await expectError(
      assume({ Tags: tags }),
      "ValidationError",
      400,
      validation("[51 items]", "tags", "have length less than or equal to 50"),
    );
    // 50 short tags are fine.
    const fifty = await assume({ Tags: tags.slice(0, 50) });
    expect(fifty.PackedPolicySize).toBeLessThanOrEqual(100);
  });

  it("checks SourceIdentity's pattern, which also keeps out the reserved aws: prefix", async () => {
    await expectError(
      assume({ SourceIdentity: "alice smith" }),
      "ValidationError",
      400,
      validation("alice smith", "sourceIdentity", "satisfy regular expression pattern: [\\w+=,.@-]*"),
    );
    await expectError(
      assume({ SourceIdentity: "aws:alice" }),
      "ValidationError",
      400,
      validation("aws:alice", "sourceIdentity", "satisfy regular expression pattern: [\\w+=,.@-]*"),
    );
    const ok = await assume({ SourceIdentity: "alice@example.com" });
    expect(ok.SourceIdentity).toBe("alice@example.com");
  });

  it("rejects a malformed session policy with MalformedPolicyDocument", async () => {
    const bad = await expectError(
      assume({ Policy: '{"Version": "2012-10-17", ' }),
      "MalformedPolicyDocument",
      400,
    );
    expect(bad).toBeInstanceOf(MalformedPolicyDocumentException);
    expect(bad.name).toBe("MalformedPolicyDocumentException");
    expect(bad.message).toBe("Syntax errors in policy.");
    // Valid JSON, bad grammar: no Effect; a Principal, which a session policy may not have.
    const noEffect = await expectError(
      assume({
        Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Action: "s3:*", Resource: "*" }] }),
      }),
      "MalformedPolicyDocument",
      400,
    );
    expect(noEffect).toBeInstanceOf(MalformedPolicyDocumentException);
    expect(noEffect.message).toBe("Missing required field Effect");
    const principal = await expectError(
      assume({ Policy: policyJson({ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }) }),
      "MalformedPolicyDocument",
      400,
    );
    expect(principal).toBeInstanceOf(MalformedPolicyDocumentException);
    expect(principal.message).toBe("Policy document should not specify a principal.");
    await expectError(
      assume({ Policy: policyJson({ Effect: "Allow", Action: "GetObject", Resource: "*" }) }),
      "MalformedPolicyDocument",
      400,
      "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    );
  });

  it("rejects a policy and tags that pack too large with PackedPolicyTooLarge", async () => {
    // Random resource names do not compress: under 2048 characters, but too much once packed.
    const resources: string[] = [];
    let policy = "";
    for (;;) {
      const next = [...resources, `arn:aws:s3:::releases/${randomBytes(24).toString("base64url")}`];
      const candidate = policyJson({ Effect: "Allow", Action: "s3:GetObject", Resource: next });
      if (candidate.length > 2000) break;
      resources.push(next[next.length - 1] ?? "");
      policy = candidate;
    }
    expect(policy.length).toBeLessThanOrEqual(2048);
    const tags = Array.from({ length: 20 }, (_, i) => ({
      Key: `tag${i}`,
      Value: randomBytes(60).toString("hex"),
    }));
    const error = await expectError(assume({ Policy: policy, Tags: tags }), "PackedPolicyTooLarge", 400);
    expect(error).toBeInstanceOf(PackedPolicyTooLargeException);
    expect(error.name).toBe("PackedPolicyTooLargeException");
    const percent = Number(
      /^Packed policy consumes (\d+)% of allotted space, please use smaller policy\.$/.exec(
        error.message,
      )?.[1],
    );
    expect(percent).toBeGreaterThan(100);
    // The same policy without the tags fits, and says how close it is.
    const fits = await assume({ Policy: policy });
    expect(fits.PackedPolicySize).toBeGreaterThan(50);
    expect(fits.PackedPolicySize).toBeLessThanOrEqual(100);
  });
});

describe("AssumeRole authorization", () => {
  it("denies a role whose trust policy does not trust the caller, and a role that does not exist", async () => {
    await iamClient(sandbox, ADMIN).send(
      new CreateRoleCommand({
        RoleName: "locked",
        AssumeRolePolicyDocument: policyJson({
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/admin` },
          Action: "sts:AssumeRole",
        }),
      }),
    );
    const locked = `arn:aws:iam::${ACCOUNT}:role/locked`;
    await expectError(
      assume({ RoleArn: locked }),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${ACCOUNT}:user/base is not authorized to perform: sts:AssumeRole on resource: ${locked}`,
    );
    // The principal the trust policy names may assume it.
    expect((await assume({ RoleArn: locked }, ADMIN)).AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/locked/s1`,
    );
    const missing = `arn:aws:iam::${ACCOUNT}:role/no-such-role`;
    await expectError(
      assume({ RoleArn: missing }),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${ACCOUNT}:user/base is not authorized to perform: sts:AssumeRole on resource: ${missing}`,
    );
    const journal = sandbox.journal.find({ operation: "AssumeRole", resource: missing });
    expect(journal.map((entry) => [entry.decision, entry.status, entry.reason])).toEqual([
      ["deny", 403, "no such role"],
    ]);
  });

  it("requires the ExternalId a trust policy asks for", async () => {
    await iamClient(sandbox, ADMIN).send(
      new CreateRoleCommand({
        RoleName: "partner",
        AssumeRolePolicyDocument: trustRoot({ StringEquals: { "sts:ExternalId": "tenant-42" } }),
      }),
    );
    const partner = `arn:aws:iam::${ACCOUNT}:role/partner`;
    const ok = await assume({ RoleArn: partner, ExternalId: "tenant-42" });
    expect(ok.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/partner/s1`);
    const denied = `User: arn:aws:iam::${ACCOUNT}:user/base is not authorized to perform: sts:AssumeRole on resource: ${partner}`;
    await expectError(assume({ RoleArn: partner, ExternalId: "tenant-43" }), "AccessDenied", 403, denied);
    await expectError(assume({ RoleArn: partner }), "AccessDenied", 403, denied);
    await expectError(
      assume({ RoleArn: partner, ExternalId: "x" }),
      "ValidationError",
      400,
      validation("x", "externalId", "have length greater than or equal to 2"),
    );
  });
});

describe("AssumeRole and the caller's own policies", () => {
  it("refuses AssumeRole under an explicit deny in the caller's policies, even when the trust policy names the caller's role", async () => {
    const target = `arn:aws:iam::${ACCOUNT}:role/trusts-deployer`;
    await iamClient(sandbox, ADMIN).send(
      new CreateRoleCommand({
        RoleName: "trusts-deployer",
        AssumeRolePolicyDocument: policyJson({
          Effect: "Allow",
          Principal: { AWS: DEPLOYER },
          Action: "sts:AssumeRole",
        }),
      }),
    );
    const { credentials } = await assumeRole(sandbox, base, { RoleSessionName: "deny-chain" });
    // The trust policy names the role itself, so deployer's identity policy need not allow it.
    const allowed = await assume({ RoleArn: target, RoleSessionName: "allowed" }, credentials);
    expect(allowed.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/trusts-deployer/allowed`);

    await iamClient(sandbox, base).send(
      new PutRolePolicyCommand({
        RoleName: "deployer",
        PolicyName: "no-assume",
        PolicyDocument: policyJson({ Effect: "Deny", Action: "sts:AssumeRole", Resource: target }),
      }),
    );
    try {
      const denied = await expectError(
        assume({ RoleArn: target, RoleSessionName: "denied" }, credentials),
        "AccessDenied",
        403,
        `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/deny-chain is not authorized to perform: sts:AssumeRole on resource: ${target} with an explicit deny in an identity-based policy: no-assume`,
      );
      expect(sandbox.journal.find({ requestId: denied.$metadata.requestId ?? "" })[0]).toMatchObject({
        action: "sts:AssumeRole",
        decision: "deny",
        reason: 'Explicitly denied by statement 0 of identity-based policy "no-assume".',
      });
    } finally {
      await iamClient(sandbox, base).send(
        new DeleteRolePolicyCommand({ RoleName: "deployer", PolicyName: "no-assume" }),
      );
    }
    // An explicit deny in the caller's session policy refuses it as well.
    const narrowed = await assumeRole(sandbox, base, {
      RoleSessionName: "deny-session",
      Policy: policyJson(
        { Effect: "Allow", Action: "*", Resource: "*" },
        { Effect: "Deny", Action: "sts:AssumeRole", Resource: target },
      ),
    });
    await expectError(
      assume({ RoleArn: target }, narrowed.credentials),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/deny-session is not authorized to perform: sts:AssumeRole on resource: ${target} with an explicit deny in a session policy: session policy`,
    );
    // Without the deny, the same session assumes it.
    expect(
      (await assume({ RoleArn: target, RoleSessionName: "again" }, credentials)).AssumedRoleUser?.Arn,
    ).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/trusts-deployer/again`);
  });
});

describe("AssumeRole's request context", () => {
  it("has aws:MultiFactorAuthPresent for a session's request and not for long-term keys", async () => {
    // The usual "deny without MFA" statement: Bool on a missing key does not match, so it spares
    // long-term keys and catches sessions made without MFA.
    const mfaCheck = `arn:aws:iam::${ACCOUNT}:role/mfa-check`;
    await iamClient(sandbox, ADMIN).send(
      new CreateRoleCommand({
        RoleName: "mfa-check",
        AssumeRolePolicyDocument: policyJson(
          { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" },
          {
            Effect: "Deny",
            Principal: { AWS: "*" },
            Action: "sts:AssumeRole",
            Condition: { Bool: { "aws:MultiFactorAuthPresent": "false" } },
          },
        ),
      }),
    );
    const byUser = await assume({ RoleArn: mfaCheck, RoleSessionName: "long-term" });
    expect(byUser.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/mfa-check/long-term`);

    await iamClient(sandbox, base).send(
      new PutRolePolicyCommand({
        RoleName: "deployer",
        PolicyName: "assume-mfa-check",
        PolicyDocument: policyJson({ Effect: "Allow", Action: "sts:AssumeRole", Resource: mfaCheck }),
      }),
    );
    try {
      const { credentials } = await assumeRole(sandbox, base, { RoleSessionName: "no-mfa" });
      await expectError(
        assume({ RoleArn: mfaCheck, RoleSessionName: "chained" }, credentials),
        "AccessDenied",
        403,
        `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/no-mfa is not authorized to perform: sts:AssumeRole on resource: ${mfaCheck}`,
      );
    } finally {
      await iamClient(sandbox, base).send(
        new DeleteRolePolicyCommand({ RoleName: "deployer", PolicyName: "assume-mfa-check" }),
      );
    }
  });

  it("gives the trust policy aws:RequestTag/<key> and aws:TagKeys for sts:TagSession, and journals the AssumeRole", async () => {
    const tagCheck = `arn:aws:iam::${ACCOUNT}:role/tag-check`;
    const root = { AWS: `arn:aws:iam::${ACCOUNT}:root` };
    await iamClient(sandbox, ADMIN).send(
      new CreateRoleCommand({
        RoleName: "tag-check",
        AssumeRolePolicyDocument: policyJson(
          { Effect: "Allow", Principal: root, Action: "sts:AssumeRole" },
          {
            Effect: "Allow",
            Principal: root,
            Action: "sts:TagSession",
            Condition: {
              StringEquals: { "aws:RequestTag/team": "platform" },
              "ForAllValues:StringEquals": { "aws:TagKeys": ["team", "ticket"] },
            },
          },
        ),
      }),
    );
    const tagged = await assume({
      RoleArn: tagCheck,
      RoleSessionName: "tagged",
      Tags: [
        { Key: "team", Value: "platform" },
        { Key: "ticket", Value: "OPS-1" },
      ],
    });
    expect(tagged.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/tag-check/tagged`);
    // The journal entry is the AssumeRole's, not overwritten by the sts:TagSession check after it.
    expect(sandbox.journal.find({ requestId: tagged.$metadata.requestId ?? "" })[0]).toMatchObject({
      action: "sts:AssumeRole",
      resource: tagCheck,
      decision: "allow",
      reason: 'Allowed by statement 0 of the trust policy "trust-policy".',
    });

    const refused = `User: arn:aws:iam::${ACCOUNT}:user/base is not authorized to perform: sts:TagSession on resource: ${tagCheck}`;
    const wrongValue = await expectError(
      assume({ RoleArn: tagCheck, Tags: [{ Key: "team", Value: "other" }] }),
      "AccessDenied",
      403,
      refused,
    );
    expect(sandbox.journal.find({ requestId: wrongValue.$metadata.requestId ?? "" })[0]).toMatchObject({
      action: "sts:TagSession",
      decision: "deny",
    });
    await expectError(
      assume({
        RoleArn: tagCheck,
        Tags: [
          { Key: "team", Value: "platform" },
          { Key: "owner", Value: "me" },
        ],
      }),
      "AccessDenied",
      403,
      refused,
    );
  });
});

describe("AssumeRole's response", () => {
  it("writes Expiration without milliseconds, and PackedPolicySize only for session policies or tags", async () => {
    const raw = await signedQuery(sandbox, "sts", base, {
      Action: "AssumeRole",
      RoleArn: DEPLOYER,
      RoleSessionName: "plain",
    });
    expect(raw.status).toBe(200);
    expect(xmlText(raw.body, "Expiration")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(raw.body).not.toContain("PackedPolicySize");

    const plain = await assume({ RoleSessionName: "plain-sdk" });
    expect(plain.PackedPolicySize).toBeUndefined();
    expect((plain.Credentials?.Expiration?.getTime() ?? 1) % 1000).toBe(0);
    const withPolicy = await assume({
      Policy: policyJson({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }),
    });
    expect(withPolicy.PackedPolicySize).toBeGreaterThan(0);
    const withTags = await assume({ Tags: [{ Key: "team", Value: "platform" }] });
    expect(withTags.PackedPolicySize).toBeGreaterThan(0);
  });
});

describe("session expiry", () => {
  it("answers ExpiredToken once the sandbox clock passes the session's expiration", async () => {
    const { credentials } = await assumeRole(sandbox, base, {
      RoleSessionName: "short",
      DurationSeconds: 900,
    });
    const s3 = s3Client(sandbox, credentials);
    await s3.send(new PutObjectCommand({ Bucket: "releases", Key: "app/before-expiry", Body: "x" }));
    sandbox.clock.advance(899_000);
    expect((await stsClient(sandbox, credentials).send(new GetCallerIdentityCommand({}))).Arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/short`,
    );
    sandbox.clock.advance(1_000);
    await expectError(
      stsClient(sandbox, credentials).send(new GetCallerIdentityCommand({})),
      "ExpiredToken",
      403,
      "The security token included in the request is expired",
    );
    await expectError(
      iamClient(sandbox, credentials).send(new GetRoleCommand({ RoleName: "deployer" })),
      "ExpiredToken",
      403,
      "The security token included in the request is expired",
    );
    await expectError(
      s3.send(new PutObjectCommand({ Bucket: "releases", Key: "app/after-expiry", Body: "x" })),
      "ExpiredToken",
      400,
      "The provided token has expired.",
    );
    // Moving the sandbox clock does not make the clients' (unmoved) clocks skewed: the long-term
    // keys keep working and can assume the role again.
    const again = await assumeRole(sandbox, base, { RoleSessionName: "short", DurationSeconds: 900 });
    expect((await stsClient(sandbox, again.credentials).send(new GetCallerIdentityCommand({}))).Arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/short`,
    );
  });
});
