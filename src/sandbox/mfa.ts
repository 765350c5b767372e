import { timingSafeEqual } from "node:crypto";
import { accessDenied } from "./authorize.js";
import type { SandboxError } from "./errors.js";
import type { HandlerContext } from "./handler-context.js";
import { hotp, totpStep } from "./totp.js";

// STS's refusals of AssumeRole's MFA parameters, word for word as AWS answers them (all
// AccessDenied, 403). The texts are quoted from AWS answers that users reported:
// - both are needed: "MultiFactorAuthentication failed, must provide both MFA serial number and one
//   time pass code." (github.com/y13i/sgviz/issues/9, from the Ruby SDK's Aws::STS::Errors::AccessDenied);
// - a serial STS does not know as the caller's device: "MultiFactorAuthentication failed, unable to
//   validate MFA code.  Please verify your MFA serial number is valid and associated with this
//   user." (two spaces; github.com/aws/aws-cli/issues/6325, github.com/99designs/aws-vault/issues/676);
// - a wrong code, and a code used before: "MultiFactorAuthentication failed with invalid MFA one time
//   pass code." (github.com/aws/aws-cli/issues/2279, seen running assume-role in a loop with one
//   code; github.com/1Password/shell-plugins/pull/180: a second AssumeRole with the same code fails
//   so "If you need to pass a token code more than once, you have to wait across a 30-second step boundary").
export const MFA_BOTH_NEEDED =
  "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.";
export const MFA_UNKNOWN_DEVICE =
  "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.";
export const MFA_INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code.";

/**
 * Codes of the current time step and of the one before are accepted: RFC 6238 section 5.2
 * recommends allowing "at most one time step" back for the delay between device and verifier.
 * AWS does not document its window.
 */
const ACCEPTED_PAST_STEPS = 1;

// Checks AssumeRole's SerialNumber and TokenCode against the caller's virtual MFA devices; returns
// when MFA was authenticated (the sandbox clock), undefined when neither was sent, and throws
// AccessDenied as STS does otherwise. An accepted code is spent: it and every earlier one are
// refused from then on (RFC 6238 section 5.2: the verifier "MUST NOT accept the second attempt
// of the same OTP after the successful validation has been issued for the first OTP").
export function checkMfa(
  ctx: HandlerContext,
  roleArn: string,
  serial: string | undefined,
  code: string | undefined,
): number | undefined {
  if (serial === undefined && code === undefined) return undefined;
  const refuse = (message: string, why: string): SandboxError => {
    ctx.note({ action: "sts:AssumeRole", resource: roleArn, decision: "deny", reason: `MFA: ${why}` });
    return accessDenied(message);
  };
  if (serial === undefined || code === undefined) {
    throw refuse(MFA_BOTH_NEEDED, `${serial === undefined ? "SerialNumber" : "TokenCode"} is missing`);
  }
  const device = ctx.state.mfaDevices.get(serial);
  const caller = ctx.caller.record;
  // An MFA device belongs to a user; a role session has none of its own.
  if (!device || caller.kind !== "user-key" || device.user !== caller.user) {
    throw refuse(MFA_UNKNOWN_DEVICE, `${serial} is not an MFA device of ${ctx.caller.arn}`);
  }
  const now = ctx.clock.now();
  const current = totpStep(now);
  for (let step = current; step >= current - ACCEPTED_PAST_STEPS; step--) {
    if (!sameCode(hotp(device.seed, step), code)) continue;
    if (device.lastStep !== undefined && step <= device.lastStep) {
      throw refuse(MFA_INVALID_CODE, `the code of time step ${step} was already used`);
    }
    device.lastStep = step;
    return now;
  }
  throw refuse(MFA_INVALID_CODE, "the code is not the device's for this time");
}

function sameCode(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
