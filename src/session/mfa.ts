import { inspect } from "node:util";
import { UsageError } from "../errors.js";

// AssumeRole's MFA parameters, as the STS service model constrains them (botocore
// data/sts/2011-06-15/service-2.json): SerialNumber is serialNumberType, 9 to 256 characters of
// [\w+=/:,.@-]; TokenCode is tokenCodeType, exactly 6 characters of [\d] ("a sequence of six
// numeric digits", AssumeRole's TokenCode documentation). Both are checked before any AWS call.
const SERIAL_PATTERN = /^[\w+=/:,.@-]{9,256}$/;
const CODE_PATTERN = /^\d{6}$/;

/** Where the MFA device's serial came from, for messages: the flag, or the named profile's mfa_serial. */
export type MfaSerialSource = { kind: "flag" } | { kind: "profile"; profile: string; file: string };

// Says where a serial came from, the way a user finds it again.
export function describeMfaSource(source: MfaSerialSource): string {
  return source.kind === "flag"
    ? "--mfa-serial"
    : `mfa_serial of profile "${source.profile}" in ${source.file}`;
}

// The serial as STS takes it, or a usage error naming where it came from (it is no secret).
export function checkMfaSerial(serial: string, source: MfaSerialSource): string {
  if (SERIAL_PATTERN.test(serial)) return serial;
  throw new UsageError(
    `${describeMfaSource(source)} ${JSON.stringify(serial)} is not an MFA device serial: STS takes 9 to 256 letters, digits and _+=/:,.@-`,
    "give the device's ARN, such as arn:aws:iam::123456789012:mfa/alice, or a hardware device's serial",
  );
}

// A one-time MFA code, held so that it cannot reach a log line, an error message or a JSON dump
// by accident: it prints as [redacted] everywhere (String, JSON, util.inspect); only reveal(),
// called when AssumeRole is sent, gives the digits.
export class MfaCode {
  readonly #code: string;

  constructor(code: string) {
    this.#code = code;
  }

  reveal(): string {
    return this.#code;
  }

  toString(): string {
    return "[redacted]";
  }

  toJSON(): string {
    return "[redacted]";
  }

  [inspect.custom](): string {
    return "MfaCode [redacted]";
  }
}

// The code as STS takes it (six digits, surrounding white space dropped), or a usage error that
// says what is wrong without repeating what was given.
export function checkMfaCode(code: string, from: "--mfa-token" | "the code entered"): MfaCode {
  const trimmed = code.trim();
  if (CODE_PATTERN.test(trimmed)) return new MfaCode(trimmed);
  throw new UsageError(
    `${from} is not an MFA code: STS takes exactly six digits`,
    "give the six digits the MFA device shows now",
  );
}
