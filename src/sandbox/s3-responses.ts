import type { SandboxResponse } from "./request.js";
import { renderXml, type XmlNode } from "./xml.js";

/** The S3 XML namespace of every response document. */
export const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

// An S3 XML response: the root element in S3's namespace around the rendered body.
export function s3Xml(status: number, root: string, body: XmlNode): SandboxResponse {
  return s3XmlText(status, root, renderXml(body));
}

// An S3 XML response around already rendered elements (for lists whose elements interleave).
export function s3XmlText(status: number, root: string, inner: string): SandboxResponse {
  return {
    status,
    headers: { "content-type": "application/xml" },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NAMESPACE}">${inner}</${root}>`,
  };
}

// An empty success, with headers.
export function s3Empty(status: number, headers: Record<string, string> = {}): SandboxResponse {
  return { status, headers, body: "" };
}

// A time as S3's XML writes it (ISO 8601 with milliseconds, UTC).
export function iso(time: number): string {
  return new Date(time).toISOString();
}
