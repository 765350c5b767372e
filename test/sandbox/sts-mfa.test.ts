import { PutObjectCommand } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, type AssumeRoleCommandInput } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MFA_BOTH_NEEDED, MFA_INVALID_CODE, MFA_UNKNOWN_DEVICE } from "../../src/sandbox/mfa.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import { totp, totpStep } from "../../src/sandbox/totp.js";
import {
  ACCOUNT,
  ADMIN,
  ADMIN_MFA_SERIAL,
  BASE_MFA_SERIAL,
  baseCredentials,
  type Credentials,
  DEPLOYER,
  expectError,
  MFA_ROLE,
  MFA_SEED,
  PARTNER_EXTERNAL_ID,
  PARTNER_ROLE,
  policyJson,
  runAwsCli,
  s3Client,
  startTestSandbox,
  stsClient,
  worldWithAssumeConditions,
} from "../helpers/sandbox.js";

// AssumeRole with SerialNumber and TokenCode (a virtual MFA device of the world, RFC 6238 codes)
// and with ExternalId, through the real SDK and AWS CLI over HTTP.

let sandbox: RunningSandbox;
let base: Credentials;

beforeAll(async () => {
  sandbox = await startTestSandbox({ world: worldWithAssumeConditions() });
  base = baseCredentials(sandbox);
});
afterAll(() => sandbox.close());

const assume = (input: Partial<AssumeRoleCommandInput>, caller: Credentials = base) =>
  stsClient(sandbox, caller).send(
    new AssumeRoleCommand({ RoleArn: MFA_ROLE, RoleSessionName: "mfa", ...input }),
  );

// A code no device has used yet: the sandbox clock moves on to the next 30-second step first,
// since a device accepts each step's code once.
function freshCode(): string {
  sandbox.clock.advance(30_000);
  return totp(MFA_SEED, sandbox.clock.now());
}

// Six digits that are the device's code for none of the steps around now.
function wrongCode(): string {
  const now = sandbox.clock.now();
  const near = new Set([-30_000, 0, 30_000].map((offset) => totp(MFA_SEED, now + offset)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, "0");
    if (!near.has(candidate)) return candidate;
  }
}

const notAuthorized = (role: string) =>
  `User: arn:aws:iam::${ACCOUNT}:user/base is not authorized to perform: sts:AssumeRole on resource: ${role}`;

function journalOf(requestId: string | undefined) {
  return sandbox.journal.find({ requestId: requestId ?? "" })[0];
}

describe("AssumeRole with an MFA code", () => {
  it("accepts the device's current code for a role whose trust policy requires MFA", async () => {
    const output = await assume({ SerialNumber: BASE_MFA_SERIAL, TokenCode: freshCode() });
    expect(output.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/mfa-deployer/mfa`);
    expect(journalOf(output.$metadata.requestId)).toMatchObject({
      action: "sts:AssumeRole",
      resource: MFA_ROLE,
      decision: "allow",
      reason: 'Allowed by statement 0 of the trust policy "trust-policy".',
    });
  });

  it("refuses the role without MFA, as its trust policy's condition does not hold", async () => {
    const error = await expectError(assume({}), "AccessDenied", 403, notAuthorized(MFA_ROLE));
    expect(journalOf(error.$metadata.requestId)?.reason).toBe(
      `the trust policy of mfa-deployer: Implicitly denied: the trust policy "trust-policy" does not allow arn:aws:iam::${ACCOUNT}:user/base to perform sts:AssumeRole.`,
    );
  });

  it("refuses a wrong code with STS's own message, for any role", async () => {
    sandbox.clock.advance(30_000);
    for (const role of [MFA_ROLE, DEPLOYER]) {
      const error = await expectError(
        assume({ RoleArn: role, SerialNumber: BASE_MFA_SERIAL, TokenCode: wrongCode() }),
        "AccessDenied",
        403,
        MFA_INVALID_CODE,
      );
      expect(journalOf(error.$metadata.requestId)).toMatchObject({
        decision: "deny",
        reason: "MFA: the code is not the device's for this time",
      });
    }
  });

  it("refuses a code used before, and any earlier one, even for another role", async () => {
    const code = freshCode();
    const first = await assume({ SerialNumber: BASE_MFA_SERIAL, TokenCode: code, RoleSessionName: "first" });
    expect(first.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/mfa-deployer/first`);
    const reused = await expectError(
      assume({ RoleArn: DEPLOYER, SerialNumber: BASE_MFA_SERIAL, TokenCode: code }),
      "AccessDenied",
      403,
      MFA_INVALID_CODE,
    );
    expect(journalOf(reused.$metadata.requestId)?.reason).toBe(
      `MFA: the code of time step ${totpStep(sandbox.clock.now())} was already used`,
    );
    // The step before is within the window, but older than the code just spent.
    const earlier = totp(MFA_SEED, sandbox.clock.now() - 30_000);
    await expectError(
      assume({ SerialNumber: BASE_MFA_SERIAL, TokenCode: earlier }),
      "AccessDenied",
      403,
      MFA_INVALID_CODE,
    );
    // The next step's code works again.
    const next = await assume({
      SerialNumber: BASE_MFA_SERIAL,
      TokenCode: freshCode(),
      RoleSessionName: "next",
    });
    expect(next.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/mfa-deployer/next`);
  });

  it("accepts the previous step's code (one step of delay, RFC 6238 section 5.2) but not an older one", async () => {
    sandbox.clock.advance(90_000);
    const now = sandbox.clock.now();
    await expectError(
      assume({ SerialNumber: BASE_MFA_SERIAL, TokenCode: totp(MFA_SEED, now - 60_000) }),
      "AccessDenied",
      403,
      MFA_INVALID_CODE,
    );
    const late = await assume({
      SerialNumber: BASE_MFA_SERIAL,
      TokenCode: totp(MFA_SEED, now - 30_000),
      RoleSessionName: "late",
    });
    expect(late.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/mfa-deployer/late`);
  });

  it("needs both the serial and the code", async () => {
    await expectError(assume({ SerialNumber: BASE_MFA_SERIAL }), "AccessDenied", 403, MFA_BOTH_NEEDED);
    await expectError(assume({ TokenCode: freshCode() }), "AccessDenied", 403, MFA_BOTH_NEEDED);
  });

  it("refuses a serial that is not one of the caller's devices", async () => {
    for (const serial of [ADMIN_MFA_SERIAL, `arn:aws:iam::${ACCOUNT}:mfa/nobody`]) {
      await expectError(
        assume({ SerialNumber: serial, TokenCode: freshCode() }),
        "AccessDenied",
        403,
        MFA_UNKNOWN_DEVICE,
      );
    }
    // admin's own device works for admin (the same seed, the same step: the device is another).
    const byAdmin = await assume({ SerialNumber: ADMIN_MFA_SERIAL, TokenCode: freshCode() }, ADMIN);
    expect(byAdmin.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/mfa-deployer/mfa`);
  });

  it("checks SerialNumber and TokenCode against the STS model first (ValidationError)", async () => {
    await expectError(
      assume({ SerialNumber: "short", TokenCode: "12345a" }),
      "ValidationError",
      400,
      "2 validation errors detected: Value 'short' at 'serialNumber' failed to satisfy constraint: Member must have length greater than or equal to 9; Value '12345a' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*",
    );
  });

  it("gives the session aws:MultiFactorAuthPresent true and aws:MultiFactorAuthAge from the AssumeRole", async () => {
    // A session policy that allows the upload only within a minute of the MFA check.
    const Policy = policyJson({
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: "arn:aws:s3:::releases/*",
      Condition: {
        Bool: { "aws:MultiFactorAuthPresent": "true" },
        NumericLessThan: { "aws:MultiFactorAuthAge": "60" },
      },
    });
    const put = (credentials: Credentials) =>
      s3Client(sandbox, credentials).send(
        new PutObjectCommand({ Bucket: "releases", Key: "mfa/x", Body: "x" }),
      );
    const session = (input: Partial<AssumeRoleCommandInput>) =>
      assume({ RoleArn: DEPLOYER, Policy, ...input }).then((output) => ({
        accessKeyId: output.Credentials?.AccessKeyId ?? "",
        secretAccessKey: output.Credentials?.SecretAccessKey ?? "",
        sessionToken: output.Credentials?.SessionToken ?? "",
      }));
    const withMfa = await session({ SerialNumber: BASE_MFA_SERIAL, TokenCode: freshCode() });
    const withoutMfa = await session({});
    await put(withMfa);
    const denied = `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/mfa is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::releases/mfa/x" because no session policy allows the s3:PutObject action`;
    await expectError(put(withoutMfa), "AccessDenied", 403, denied);
    sandbox.clock.advance(61_000);
    await expectError(put(withMfa), "AccessDenied", 403, denied);
  });

  it("works from the AWS CLI's assume-role --serial-number --token-code", async () => {
    const code = freshCode();
    const result = await runAwsCli(sandbox, base, [
      "sts",
      "assume-role",
      "--role-arn",
      MFA_ROLE,
      "--role-session-name",
      "cli",
      "--serial-number",
      BASE_MFA_SERIAL,
      "--token-code",
      code,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json).toMatchObject({
      AssumedRoleUser: { Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/mfa-deployer/cli` },
    });
    const again = await runAwsCli(sandbox, base, [
      "sts",
      "assume-role",
      "--role-arn",
      MFA_ROLE,
      "--role-session-name",
      "cli",
      "--serial-number",
      BASE_MFA_SERIAL,
      "--token-code",
      code,
    ]);
    expect({ code: again.code, stderr: again.stderr.trim() }).toEqual({
      code: 255,
      stderr: `An error occurred (AccessDenied) when calling the AssumeRole operation: ${MFA_INVALID_CODE}`,
    });
  });
});

describe("AssumeRole with an ExternalId", () => {
  it("assumes the role with the external id its trust policy names, and refuses a wrong or missing one", async () => {
    const ok = await assume({ RoleArn: PARTNER_ROLE, ExternalId: PARTNER_EXTERNAL_ID });
    expect(ok.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/partner/mfa`);
    for (const input of [{ ExternalId: "tenant-43" }, { ExternalId: "TENANT-42" }, {}]) {
      await expectError(
        assume({ RoleArn: PARTNER_ROLE, ...input }),
        "AccessDenied",
        403,
        notAuthorized(PARTNER_ROLE),
      );
    }
  });
});
