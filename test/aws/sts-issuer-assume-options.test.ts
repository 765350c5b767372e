import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStsIssuer } from "../../src/aws/sts-issuer.js";
import { TaskAccessError } from "../../src/errors.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import { totp } from "../../src/sandbox/totp.js";
import type { AssumeRoleInput } from "../../src/session/ports.js";
import {
  ACCOUNT,
  BASE_MFA_SERIAL,
  baseCredentials,
  MFA_ROLE,
  MFA_SEED,
  PARTNER_EXTERNAL_ID,
  PARTNER_ROLE,
  REGION,
  startTestSandbox,
  worldWithAssumeConditions,
} from "../helpers/sandbox.js";

// taskaccess's STS adapter sends the ExternalId and the MFA parameters, and its errors never carry
// the code.

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({ world: worldWithAssumeConditions() });
});
afterAll(() => sandbox.close());

const issuer = () =>
  createStsIssuer({
    endpoint: sandbox.endpoint,
    region: REGION,
    credentials: baseCredentials(sandbox),
    maxAttempts: 1,
  });

const input = (extra: Partial<AssumeRoleInput>): AssumeRoleInput => ({
  roleArn: MFA_ROLE,
  sessionName: "ta-issuer-test",
  policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
  policyArns: [],
  durationSeconds: 900,
  tags: {},
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<TaskAccessError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TaskAccessError) return error;
    throw error;
  }
  throw new Error("expected a failure");
}

describe("createStsIssuer's AssumeRole", () => {
  it("sends SerialNumber and TokenCode, and ExternalId", async () => {
    sandbox.clock.advance(30_000);
    const mfa = { serialNumber: BASE_MFA_SERIAL, tokenCode: totp(MFA_SEED, sandbox.clock.now()) };
    const withMfa = await issuer().assumeRole(input({ mfa }));
    expect(withMfa.assumedRoleArn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/mfa-deployer/ta-issuer-test`);
    const partner = await issuer().assumeRole(
      input({ roleArn: PARTNER_ROLE, externalId: PARTNER_EXTERNAL_ID }),
    );
    expect(partner.assumedRoleArn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/partner/ta-issuer-test`);
  });

  it("explains a refused code with a hint of its own", async () => {
    sandbox.clock.advance(30_000);
    const code = totp(MFA_SEED, sandbox.clock.now());
    await issuer().assumeRole(input({ mfa: { serialNumber: BASE_MFA_SERIAL, tokenCode: code } }));
    const error = await failure(
      issuer().assumeRole(input({ mfa: { serialNumber: BASE_MFA_SERIAL, tokenCode: code } })),
    );
    expect({ message: error.message, hint: error.hint, exitCode: error.exitCode }).toEqual({
      message: `Could not assume role ${MFA_ROLE}: AccessDenied: MultiFactorAuthentication failed with invalid MFA one time pass code.`,
      hint: `check that ${BASE_MFA_SERIAL} is the base identity's MFA device; a code is good for one AssumeRole: wait for the device's next code and run again`,
      exitCode: 77,
    });
  });

  it("masks the code where an answer quotes it (a ValidationError echoes the value)", async () => {
    // run checks the code's form before any call; this one reaches STS only through the adapter.
    const error = await failure(
      issuer().assumeRole(input({ mfa: { serialNumber: BASE_MFA_SERIAL, tokenCode: "98765x" } })),
    );
    expect(error.message).toBe(
      `Could not assume role ${MFA_ROLE}: ValidationError: 1 validation error detected: Value '******' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*`,
    );
    expect(error.exitCode).toBe(65);
  });
});
