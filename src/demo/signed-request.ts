import { SignatureV4 } from "@smithy/signature-v4";
import { NodeSha256 } from "../util/node-sha256.js";

export interface DemoCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SignedResponse {
  status: number;
  body: string;
}

// A SigV4-signed HTTP request with fetch: enough AWS client for the demo without bundling a
// whole SDK client (S3 uses the path as sent; the Query services take a form body).
export async function signedRequest(input: {
  endpoint: string;
  service: "s3" | "sts";
  region: string;
  credentials: DemoCredentials;
  method: string;
  path: string;
  body?: string;
}): Promise<SignedResponse> {
  const url = new URL(input.path, input.endpoint);
  const body = input.body ?? "";
  const headers: Record<string, string> = { host: url.host };
  if (input.service === "sts") headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: input.credentials.accessKeyId,
      secretAccessKey: input.credentials.secretAccessKey,
      ...(input.credentials.sessionToken ? { sessionToken: input.credentials.sessionToken } : {}),
    },
    region: input.region,
    service: input.service,
    sha256: NodeSha256,
    uriEscapePath: input.service !== "s3",
  });
  const signed = await signer.sign({
    method: input.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    headers,
    query: {},
    body,
  });
  const response = await fetch(url, {
    method: input.method,
    headers: signed.headers as Record<string, string>,
    ...(input.method === "GET" || input.method === "HEAD" ? {} : { body }),
  });
  return { status: response.status, body: await response.text() };
}

// Pulls <Code> and <Message> out of an AWS XML error.
export function errorSummary(xml: string): string {
  const code = /<Code>([^<]*)<\/Code>/.exec(xml)?.[1] ?? "Error";
  const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1] ?? xml.slice(0, 200);
  return `${code}: ${message.replace(/&quot;/g, '"').replace(/&amp;/g, "&")}`;
}
