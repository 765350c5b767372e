// A request as the sandbox handlers see it: headers lower-cased, the query decoded, the body read.
export interface SandboxRequest {
  method: string;
  /** The path as sent, still percent-encoded (SigV4 for S3 signs it that way). */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  body: Buffer;
  sourceIp: string;
  requestId: string;
}

export interface SandboxResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}
