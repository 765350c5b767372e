import { SandboxError } from "./errors.js";
import type { SandboxResponse } from "./request.js";
import { renderXml } from "./xml.js";

// The error texts below are S3's own, as recorded from AWS in LocalStack's AWS-validated snapshot tests
// (tests/aws/services/s3/test_s3.snapshot.json, test_s3_api.snapshot.json, recorded 2026-02-21) unless a
// comment says otherwise.

/**
 * An S3 error with the extra elements S3 puts in its <Error> body (Condition, ArgumentName, Key …) and
 * response headers (x-amz-delete-marker …).
 */
export class S3Error extends SandboxError {
  readonly fields: Record<string, string>;
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    status: number,
    message: string,
    fields: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) {
    super(code, status, message);
    this.fields = fields;
    this.headers = headers;
  }
}

// S3's error envelope: a bare <Error> document (not the Query protocol's <ErrorResponse>); a HEAD
// answer has no body, only the status and the headers.
export function s3Error(error: SandboxError, requestId: string, head: boolean): SandboxResponse {
  const fields = error instanceof S3Error ? error.fields : {};
  const headers = error instanceof S3Error ? { ...error.headers } : {};
  if (!head) headers["content-type"] = "application/xml";
  return {
    status: error.status,
    headers,
    body: head
      ? ""
      : `<?xml version="1.0" encoding="UTF-8"?>\n${renderXml({
          Error: {
            Code: error.code,
            Message: error.message,
            ...fields,
            RequestId: requestId,
            HostId: requestId,
          },
        })}`,
  };
}

// A request body that is not the XML the operation takes.
export function malformedXml(): S3Error {
  return new S3Error(
    "MalformedXML",
    400,
    "The XML you provided was not well-formed or did not validate against our published schema",
  );
}

// An argument S3 refuses, naming it (and its value, when S3 echoes it).
export function invalidArgument(message: string, name: string, value?: string): S3Error {
  const fields: Record<string, string> = { ArgumentName: name };
  if (value !== undefined) fields.ArgumentValue = value;
  return new S3Error("InvalidArgument", 400, message, fields);
}

// A version id that is not one of the key's versions (DeleteObject), or not "null" in a bucket
// that was never versioned.
export function invalidVersionId(versionId: string): S3Error {
  return invalidArgument("Invalid version id specified", "versionId", versionId);
}

// The key has no current object (it never had one, or its current version is a delete marker). The
// body stays as before (no <Key> element); a delete marker adds its headers, as S3 does.
export function noSuchKey(headers: Record<string, string> = {}): S3Error {
  return new S3Error("NoSuchKey", 404, "The specified key does not exist.", {}, headers);
}

// A versionId that names no version of the key.
export function noSuchVersion(key: string, versionId: string): S3Error {
  return new S3Error("NoSuchVersion", 404, "The specified version does not exist.", {
    Key: key,
    VersionId: versionId,
  });
}

// An operation on a delete marker named by its versionId (GET, PUT ?retention …).
export function methodNotAllowedOnDeleteMarker(method: string, versionId: string): S3Error {
  return new S3Error(
    "MethodNotAllowed",
    405,
    "The specified method is not allowed against this resource.",
    { Method: method, ResourceType: "DeleteMarker" },
    { "x-amz-delete-marker": "true", allow: "DELETE", "x-amz-version-id": versionId },
  );
}

// A conditional write whose precondition does not hold.
export function preconditionFailed(condition: "If-Match" | "If-None-Match"): S3Error {
  return new S3Error(
    "PreconditionFailed",
    412,
    "At least one of the pre-conditions you specified did not hold",
    {
      Condition: condition,
    },
  );
}

// A conditional header S3 does not accept on PutObject (If-None-Match other than *, If-Match: *, both).
export function conditionalHeaderNotImplemented(header: string, detail: string): S3Error {
  return new S3Error(
    "NotImplemented",
    501,
    "A header you provided implies functionality that is not implemented",
    { Header: header, additionalMessage: detail },
  );
}

// Deleting a protected version, or shortening its retention, without the right to.
export function protectedByObjectLock(): S3Error {
  return new S3Error("AccessDenied", 403, "Access Denied because object protected by object lock.");
}

// An Object Lock operation on a bucket without Object Lock. S3's text differs by operation: PutObject
// says "ObjectLockConfiguration" (versitygw issue 1751, Scality CloudServer's objectLockHelpers.js),
// PutObjectRetention and GetObjectRetention "Object Lock Configuration" (the LocalStack snapshots).
export function missingObjectLock(operation: "PutObject" | "Retention"): S3Error {
  return new S3Error(
    "InvalidRequest",
    400,
    operation === "PutObject"
      ? "Bucket is missing ObjectLockConfiguration"
      : "Bucket is missing Object Lock Configuration",
  );
}

// A sandbox limit: a header or element of a real S3 feature the sandbox does not emulate.
export function notEmulated(what: string): S3Error {
  return new S3Error("NotImplemented", 501, `${what} is not emulated by the taskaccess sandbox.`);
}
