import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { SignatureV4 } from "@smithy/signature-v4";
import { NodeSha256 } from "../util/node-sha256.js";

export interface FastGetInput {
  bucket: string;
  /** A custom endpoint, addressed path-style; else the bucket's virtual host in `region`. */
  endpoint?: string | undefined;
  region: string;
  credentials: () => Promise<{
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string | undefined;
  }>;
}

/** Requests in flight share this many kept-alive connections. */
const SOCKETS = 32;

// A signed GetObject without the SDK's middleware stack: reading a log of 70,000 one-object
// records spends most of its time in that stack (docs/benchmarks.md, row 7). Only the plain case:
// 200 is the object, 404 is none; anything else (a redirect to the bucket's region, throttling,
// an error) throws, and the caller asks the SDK, which knows how to handle it.
export function createFastGet(signedGet: SignedGet): (key: string) => Promise<string | undefined> {
  return async (key) => {
    const { status, body } = await signedGet(key.split("/").map(encodeURIComponent).join("/"), {});
    if (status === 200) return body;
    if (status === 404) return undefined;
    throw new Error(`GET ${key}: HTTP ${status}`);
  };
}

/** A signed GET of a path in the bucket (already URI-encoded) with a query; the status and body. */
export type SignedGet = (
  path: string,
  query: Record<string, string>,
) => Promise<{ status: number; body: string }>;

// Signed GETs on one bucket over kept-alive connections, for the fast paths of reading the log.
export function createSignedGet(input: FastGetInput): SignedGet {
  const base = input.endpoint
    ? new URL(`${input.endpoint.replace(/\/$/, "")}/${input.bucket}/`)
    : new URL(`https://${input.bucket}.s3.${input.region}.amazonaws.com/`);
  const https = base.protocol === "https:";
  const agent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets: SOCKETS })
    : new HttpAgent({ keepAlive: true, maxSockets: SOCKETS });
  const signer = new SignatureV4({
    credentials: async () => {
      const { accessKeyId, secretAccessKey, sessionToken } = await input.credentials();
      return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    },
    region: input.region,
    service: "s3",
    sha256: NodeSha256,
    uriEscapePath: false,
  });
  return async (keyPath, query) => {
    const path = `${base.pathname}${keyPath}`;
    const signed = await signer.sign({
      method: "GET",
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port === "" ? {} : { port: Number(base.port) }),
      path,
      headers: { host: base.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      query,
    });
    const search = new URLSearchParams(query).toString().replaceAll("+", "%20");
    return send(https, agent, base, search ? `${path}?${search}` : path, signed.headers);
  };
}

function send(
  https: boolean,
  agent: HttpAgent,
  base: URL,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = (https ? httpsRequest : httpRequest)(
      { agent, method: "GET", hostname: base.hostname, port: base.port, path, headers, timeout: 15_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error("timed out")));
    request.on("error", reject);
    request.end();
  });
}
