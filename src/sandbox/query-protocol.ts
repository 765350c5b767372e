import type { SandboxRequest, SandboxResponse } from "./request.js";
import { renderXml, type XmlNode } from "./xml.js";

export type QueryParams = Record<string, string>;

// The parameters of an AWS Query request: the query string and a form-encoded body, merged.
export function readQueryParams(request: SandboxRequest): QueryParams {
  const params: QueryParams = { ...request.query };
  const type = request.headers["content-type"] ?? "";
  if (request.body.length > 0 && (type === "" || type.startsWith("application/x-www-form-urlencoded"))) {
    for (const [key, value] of new URLSearchParams(request.body.toString("utf8"))) params[key] = value;
  }
  return params;
}

// Reads a Query list such as PolicyArns.member.1.arn, PolicyArns.member.2.arn in order.
export function readMembers(params: QueryParams, prefix: string, field?: string): string[] {
  const values: string[] = [];
  for (let i = 1; ; i++) {
    const value = params[`${prefix}.member.${i}${field ? `.${field}` : ""}`];
    if (value === undefined) break;
    values.push(value);
  }
  return values;
}

// Reads a Query list of structures, such as Tags.member.N.Key / .Value.
export function readMemberStructs(
  params: QueryParams,
  prefix: string,
  fields: string[],
): Array<Record<string, string>> {
  const items: Array<Record<string, string>> = [];
  for (let i = 1; ; i++) {
    const item: Record<string, string> = {};
    let any = false;
    for (const field of fields) {
      const value = params[`${prefix}.member.${i}.${field}`];
      if (value !== undefined) {
        item[field] = value;
        any = true;
      }
    }
    if (!any) break;
    items.push(item);
  }
  return items;
}

// A Query protocol success: <ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…
export function queryResponse(
  namespace: string,
  action: string,
  result: XmlNode | undefined,
  requestId: string,
): SandboxResponse {
  const resultXml = result === undefined ? "" : `<${action}Result>${renderXml(result)}</${action}Result>`;
  return {
    status: 200,
    headers: { "content-type": "text/xml" },
    body: `<${action}Response xmlns="${namespace}">${resultXml}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

// A Query protocol error: AWS's <ErrorResponse> envelope, which the SDK maps to exception classes.
export function queryError(
  namespace: string,
  error: { code: string; message: string; status: number; type: string },
  requestId: string,
): SandboxResponse {
  return {
    status: error.status,
    headers: { "content-type": "text/xml" },
    body: `<ErrorResponse xmlns="${namespace}">${renderXml({
      Error: { Type: error.type, Code: error.code, Message: error.message },
    })}<RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}
