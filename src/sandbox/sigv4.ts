import { createHash, timingSafeEqual } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { NodeSha256 } from "../util/node-sha256.js";
import { SandboxError } from "./errors.js";
import type { SandboxRequest } from "./request.js";

/** SigV4 allows 15 minutes between the signing time and the server's clock (AWS General Reference). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

// What the Authorization header (or a presigned URL) says about who signed, where and when.
export interface SignatureClaim {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  sessionToken?: string | undefined;
  presigned: boolean;
  expiresSeconds?: number | undefined;
}

// Reads the SigV4 claim from a request; an unsigned request is refused as AWS refuses it.
export function parseSignature(request: SandboxRequest): SignatureClaim {
  const auth = request.headers.authorization;
  if (auth) {
    const match =
      /^AWS4-HMAC-SHA256\s+Credential=([^/\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
        auth.trim(),
      );
    if (!match) {
      throw new SandboxError(
        "IncompleteSignature",
        403,
        "Authorization header requires a valid SigV4 signature.",
      );
    }
    const [, accessKeyId = "", date = "", region = "", service = "", signed = "", signature = ""] = match;
    const amzDate = request.headers["x-amz-date"] ?? "";
    return {
      accessKeyId,
      date,
      region,
      service,
      signedHeaders: signed.split(";"),
      signature,
      amzDate,
      sessionToken: request.headers["x-amz-security-token"],
      presigned: false,
    };
  }
  const q = request.query;
  if (q["X-Amz-Algorithm"] === "AWS4-HMAC-SHA256" && q["X-Amz-Credential"] && q["X-Amz-Signature"]) {
    const [accessKeyId = "", date = "", region = "", service = ""] = q["X-Amz-Credential"].split("/");
    return {
      accessKeyId,
      date,
      region,
      service,
      signedHeaders: (q["X-Amz-SignedHeaders"] ?? "host").split(";"),
      signature: q["X-Amz-Signature"],
      amzDate: q["X-Amz-Date"] ?? "",
      sessionToken: q["X-Amz-Security-Token"],
      presigned: true,
      expiresSeconds: q["X-Amz-Expires"] ? Number(q["X-Amz-Expires"]) : undefined,
    };
  }
  throw new SandboxError("MissingAuthenticationToken", 403, "Request is missing Authentication Token");
}

// Parses an ISO8601 basic timestamp such as 20261128T120000Z.
export function parseAmzDate(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0);
}

// Checks the time of signing against the server clock, the body hash against the body, and the
// signature itself by recomputing it with the secret the sandbox holds for that key.
export async function verifySignature(
  request: SandboxRequest,
  claim: SignatureClaim,
  secretAccessKey: string,
  now: number,
  /** The clients' time for the skew check (see SandboxClock.clientNow); defaults to now. */
  clientNow: number = now,
): Promise<void> {
  const signedAt = parseAmzDate(claim.amzDate);
  if (signedAt === undefined || !claim.amzDate.startsWith(claim.date)) {
    throw new SandboxError(
      "IncompleteSignature",
      403,
      "The X-Amz-Date header or parameter is missing or malformed.",
    );
  }
  if (claim.presigned) {
    checkPresignedExpiry(claim.expiresSeconds);
    const expires = (claim.expiresSeconds ?? 0) * 1000;
    if (now > signedAt + expires) throw new SandboxError("AccessDenied", 403, "Request has expired");
  } else if (Math.abs(clientNow - signedAt) > MAX_CLOCK_SKEW_MS) {
    const skewed = claim.service === "s3" ? "RequestTimeTooSkewed" : "RequestExpired";
    throw new SandboxError(
      skewed,
      403,
      `Request timestamp ${new Date(signedAt).toISOString()} is more than 15 minutes away from the server time ${new Date(clientNow).toISOString()}.`,
    );
  }
  const declaredHash = request.headers["x-amz-content-sha256"];
  if (declaredHash && isHexHash(declaredHash)) {
    const actual = createHash("sha256").update(request.body).digest("hex");
    if (actual !== declaredHash) {
      throw new SandboxError(
        "XAmzContentSHA256Mismatch",
        400,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
  }
  const expected = await computeSignature(request, claim, secretAccessKey);
  const a = Buffer.from(expected, "hex");
  const b = Buffer.from(claim.signature, "hex");
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new SandboxError(
      "SignatureDoesNotMatch",
      403,
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
}

async function computeSignature(
  request: SandboxRequest,
  claim: SignatureClaim,
  secret: string,
): Promise<string> {
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: claim.accessKeyId,
      secretAccessKey: secret,
      ...(claim.sessionToken ? { sessionToken: claim.sessionToken } : {}),
    },
    region: claim.region,
    service: claim.service,
    sha256: NodeSha256,
    // S3 signs the path as sent; every other service escapes it once more (SigV4 spec).
    uriEscapePath: claim.service !== "s3",
    applyChecksum: false,
  });
  const signed = new Set(claim.signedHeaders);
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const signingDate = new Date(parseAmzDate(claim.amzDate) ?? 0);
  if (claim.presigned) {
    const query: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.query))
      if (key !== "X-Amz-Signature") query[key] = value;
    // The signer takes the payload hash from an x-amz-content-sha256 header. A signed one is the
    // client's; otherwise it is added here only to carry the hash, neither signed nor hoisted.
    const carried = signed.has(SHA256_HEADER) ? undefined : presignedPayloadHash(request, claim);
    const canonical = {
      method: request.method,
      protocol: "http:",
      hostname: "",
      path: request.path,
      headers: carried === undefined ? headers : { ...headers, [SHA256_HEADER]: carried },
      query,
    };
    const presigned = await signer.presign(canonical, {
      signingDate,
      expiresIn: claim.expiresSeconds ?? 3600,
      signableHeaders: signed,
      // Headers stay headers and the query stays as sent: the signature covers them where they are.
      unhoistableHeaders: new Set(Object.keys(canonical.headers)),
      unsignableHeaders: new Set(carried === undefined ? [] : [SHA256_HEADER]),
    });
    return String(presigned.query?.["X-Amz-Signature"] ?? "");
  }
  // With no x-amz-content-sha256 header among the signed ones, the signer hashes the body itself.
  const result = await signer.sign(
    {
      method: request.method,
      protocol: "http:",
      hostname: "",
      path: request.path,
      headers,
      query: request.query,
      body: request.body,
    },
    { signingDate, signableHeaders: signed },
  );
  const auth = String((result.headers as Record<string, string>).authorization ?? "");
  return /Signature=([0-9a-f]{64})/.exec(auth)?.[1] ?? "";
}

/** A presigned URL lasts at most seven days (Amazon S3 API Reference, SigV4 query parameters). */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 604_800;

// X-Amz-Expires must be a number of seconds within a week. S3's words, as reported in
// github.com/aws/aws-cli/issues/5464 and github.com/minio/minio-js/issues/1312.
function checkPresignedExpiry(expires: number | undefined): void {
  if (expires === undefined || !Number.isInteger(expires) || expires < 0) {
    throw new SandboxError("AuthorizationQueryParametersError", 400, "X-Amz-Expires should be a number");
  }
  if (expires > MAX_PRESIGNED_EXPIRES_SECONDS) {
    throw new SandboxError(
      "AuthorizationQueryParametersError",
      400,
      `X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than ${MAX_PRESIGNED_EXPIRES_SECONDS} seconds`,
    );
  }
}

const SHA256_HEADER = "x-amz-content-sha256";

// The payload hash a presigned URL was signed over. S3 presigned URLs sign the constant
// UNSIGNED-PAYLOAD, since the body is not known when the URL is made (Amazon S3 API Reference,
// "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)"), unless the URL names
// a hash in X-Amz-Content-Sha256 (as the JS SDK's presigner writes UNSIGNED-PAYLOAD there). Other
// services hash the body as usual (an empty one for a presigned GET).
function presignedPayloadHash(request: SandboxRequest, claim: SignatureClaim): string {
  if (claim.service === "s3") {
    for (const [key, value] of Object.entries(request.query))
      if (key.toLowerCase() === SHA256_HEADER) return value;
    return "UNSIGNED-PAYLOAD";
  }
  return createHash("sha256").update(request.body).digest("hex");
}

function isHexHash(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
