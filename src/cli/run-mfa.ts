import { profileMfaSerial } from "../aws/profile-mfa-serial.js";
import { UsageError } from "../errors.js";
import {
  checkMfaCode,
  checkMfaSerial,
  describeMfaSource,
  type MfaCode,
  type MfaSerialSource,
} from "../session/mfa.js";
import { interruptError } from "../session/run-state.js";
import { PromptEnded, PromptInterrupted } from "./hidden-input.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The MFA device a run assumes its role with, and where that was said. */
export interface MfaDevice {
  serial: string;
  source: MfaSerialSource;
}

// The MFA device of a run: --mfa-serial, else the mfa_serial of the profile in use
// (src/aws/profile-mfa-serial.ts). Checked, with the form of --mfa-token, before anything else.
export async function resolveMfaDevice(input: {
  serialFlag: string | undefined;
  tokenFlag: string | undefined;
  profile: string | undefined;
  env: Env;
}): Promise<MfaDevice | undefined> {
  if (input.tokenFlag !== undefined) checkMfaCode(input.tokenFlag, "--mfa-token");
  let device: MfaDevice | undefined;
  if (input.serialFlag !== undefined) {
    const source: MfaSerialSource = { kind: "flag" };
    device = { serial: checkMfaSerial(input.serialFlag, source), source };
  } else {
    const found = await profileMfaSerial(input.profile, input.env);
    if (found) {
      const source: MfaSerialSource = { kind: "profile", profile: found.profile, file: found.file };
      device = { serial: checkMfaSerial(found.serial, source), source };
    }
  }
  if (!device && input.tokenFlag !== undefined) {
    throw new UsageError(
      "--mfa-token was given, but no MFA device to send it with",
      "name the device with --mfa-serial ARN, or set mfa_serial in the profile (--profile, AWS_PROFILE)",
    );
  }
  return device;
}

// The one-time code for the device: --mfa-token, else typed at the terminal without echo. With
// neither (CI, a pipe) the run stops here, before any AWS call: it never goes on without the MFA
// the user set up.
export async function obtainMfaCode(
  device: MfaDevice,
  tokenFlag: string | undefined,
  readSecret: ((prompt: string) => Promise<string>) | undefined,
): Promise<MfaCode> {
  if (tokenFlag !== undefined) return checkMfaCode(tokenFlag, "--mfa-token");
  if (!readSecret) {
    throw new UsageError(
      `an MFA code is needed for ${device.serial} (${describeMfaSource(device.source)}), and there is no terminal to ask for it`,
      "pass --mfa-token with the six digits the device shows now, or run in a terminal to be asked for them",
    );
  }
  let entered: string;
  try {
    entered = await readSecret(`MFA code for ${device.serial}: `);
  } catch (error) {
    if (error instanceof PromptInterrupted) throw interruptError("SIGINT");
    if (error instanceof PromptEnded) {
      throw new UsageError(
        `no MFA code was entered for ${device.serial}`,
        "run again and type the six digits the device shows",
      );
    }
    throw error;
  }
  return checkMfaCode(entered, "the code entered");
}
