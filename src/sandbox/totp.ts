import { createHmac } from "node:crypto";

// Time-based one-time passwords as a virtual MFA device makes them: TOTP (RFC 6238) over HOTP
// (RFC 4226) with HMAC-SHA-1, a 30-second time step counted from the Unix epoch (T0 = 0), and
// six digits. Those are the defaults RFC 6238 section 4 names and what the authenticator apps
// that AWS accepts as virtual MFA devices compute (IAM User Guide, "Assign a virtual MFA device":
// "a software app that ... generates a six-digit numeric code based upon a time-synchronized
// one-time password algorithm").

/** RFC 6238 section 5.2 recommends 30 seconds. */
export const TOTP_STEP_SECONDS = 30;
/** STS takes six digits (botocore sts model, tokenCodeType: length 6, pattern [\d]*). */
export const TOTP_DIGITS = 6;
/** RFC 4226 section 4, R6: the shared secret MUST be at least 128 bits. */
export const MIN_SEED_BYTES = 16;

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// The seed as AWS hands it out (CreateVirtualMFADevice's Base32StringSeed) and authenticator apps
// take it: RFC 4648 base32, upper case, '=' padding optional. Undefined for anything else.
export function decodeBase32(text: string): Buffer | undefined {
  const body = text.replace(/=+$/, "");
  if (!/^[A-Z2-7]*$/.test(body)) return undefined;
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of body) {
    buffer = (buffer << 5) | BASE32_ALPHABET.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

// The time step a moment falls in: floor(unix seconds / 30) (RFC 6238 section 4.2).
export function totpStep(timeMs: number): number {
  return Math.floor(timeMs / 1000 / TOTP_STEP_SECONDS);
}

// HOTP (RFC 4226 section 5.3): HMAC-SHA-1 of the 8-byte big-endian counter, dynamically truncated
// to 31 bits, modulo 10^digits, left-padded with zeros.
export function hotp(seed: Buffer, counter: number, digits = TOTP_DIGITS): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", seed).update(message).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

// The code a device with this seed shows at `timeMs`.
export function totp(seed: Buffer, timeMs: number, digits = TOTP_DIGITS): string {
  return hotp(seed, totpStep(timeMs), digits);
}
