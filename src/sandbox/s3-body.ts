import type { SandboxRequest } from "./request.js";

// Undoes aws-chunked transfer encoding (SigV4 streaming uploads); chunk signatures are not checked.
export function decodeBody(request: SandboxRequest): Buffer {
  const encoding = request.headers["content-encoding"] ?? "";
  const declared = request.headers["x-amz-content-sha256"] ?? "";
  if (!encoding.includes("aws-chunked") && !declared.startsWith("STREAMING-")) return request.body;
  const parts: Buffer[] = [];
  let offset = 0;
  const body = request.body;
  while (offset < body.length) {
    const lineEnd = body.indexOf("\r\n", offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString("latin1").split(";")[0] ?? "", 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
