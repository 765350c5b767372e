import type { SandboxResponse } from "./request.js";
import { authorizeS3, bucketOf, type S3Call } from "./s3-call.js";
import { malformedXml, notEmulated, S3Error } from "./s3-errors.js";
import { s3Empty, s3Xml } from "./s3-responses.js";
import { childText, parseXmlBody } from "./s3-xml-input.js";

// PutBucketVersioning (PUT /bucket?versioning) with <VersioningConfiguration><Status>Enabled|Suspended
// (botocore s3 model, BucketVersioningStatus). S3's answers (LocalStack snapshots): no Status is
// IllegalVersioningConfigurationException, another value MalformedXML, suspending an Object Lock
// bucket InvalidBucketState. MFA Delete is not emulated.
export function putBucketVersioning(call: S3Call): SandboxResponse {
  authorizeS3(call, "s3:PutBucketVersioning", {}, true);
  const bucket = bucketOf(call);
  const root = parseXmlBody(call.ctx.request.body);
  if (root.name !== "VersioningConfiguration") throw malformedXml();
  const mfaDelete = childText(root, "MfaDelete");
  if (mfaDelete === "Enabled") throw notEmulated("MFA Delete");
  if (mfaDelete !== undefined && mfaDelete !== "Disabled") throw malformedXml();
  const status = childText(root, "Status");
  if (status === undefined) {
    throw new S3Error(
      "IllegalVersioningConfigurationException",
      400,
      "The Versioning element must be specified",
    );
  }
  if (status !== "Enabled" && status !== "Suspended") throw malformedXml();
  if (bucket.objectLock && status === "Suspended") {
    throw new S3Error(
      "InvalidBucketState",
      409,
      "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
    );
  }
  bucket.versioning = status;
  return s3Empty(200);
}

// GetBucketVersioning (GET /bucket?versioning): no Status until versioning was first set.
export function getBucketVersioning(call: S3Call): SandboxResponse {
  authorizeS3(call, "s3:GetBucketVersioning", {}, true);
  const bucket = bucketOf(call);
  return s3Xml(200, "VersioningConfiguration", bucket.versioning ? { Status: bucket.versioning } : {});
}
