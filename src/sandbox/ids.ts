import { randomBytes, randomUUID } from "node:crypto";

// A source of randomness the sandbox can be given (tests may make it deterministic).
export interface RandomSource {
  bytes: (count: number) => Buffer;
  uuid: () => string;
}

export const cryptoRandom: RandomSource = { bytes: (count) => randomBytes(count), uuid: () => randomUUID() };

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(random: RandomSource, length: number): string {
  const bytes = random.bytes(length);
  let out = "";
  for (let i = 0; i < length; i++) out += BASE32[(bytes[i] ?? 0) % 32];
  return out;
}

// IAM unique-id prefixes (IAM User Guide, "IAM identifiers": AKIA access key, ASIA temporary
// access key, AROA role, AIDA user, ANPA managed policy): 4-letter prefix + 16 characters.
export type IdPrefix = "AKIA" | "ASIA" | "AROA" | "AIDA" | "ANPA";

// Makes an identifier of the shape AWS uses, such as ASIA + 16 base32 characters.
export function makeId(random: RandomSource, prefix: IdPrefix): string {
  return `${prefix}${base32(random, 16)}`;
}

// A 40-character secret access key, as AWS issues.
export function makeSecret(random: RandomSource): string {
  return random
    .bytes(30)
    .toString("base64")
    .replace(/[^A-Za-z0-9]/g, "A")
    .slice(0, 40);
}

// An opaque session token; the sandbox looks tokens up, it never decodes them.
export function makeSessionToken(random: RandomSource): string {
  return `IQoJb3JpZ2luX2VjE${random.bytes(96).toString("base64")}`;
}
