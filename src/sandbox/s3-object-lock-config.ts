import type { SandboxResponse } from "./request.js";
import { authorizeS3, bucketOf, type S3Call } from "./s3-call.js";
import { invalidArgument, malformedXml, S3Error } from "./s3-errors.js";
import { isRetentionMode } from "./s3-object-lock.js";
import { s3Empty, s3Xml } from "./s3-responses.js";
import { child, childText, parseXmlBody, type XmlElement } from "./s3-xml-input.js";
import type { DefaultRetention } from "./state.js";
import type { XmlNode } from "./xml.js";

// PutObjectLockConfiguration (PUT /bucket?object-lock): turns Object Lock on, with or without a
// default retention. A bucket that does not have it yet needs versioning Enabled (S3 allows Object
// Lock on existing buckets since November 2023); the x-amz-bucket-object-lock-token is not needed.
export function putObjectLockConfiguration(call: S3Call): SandboxResponse {
  authorizeS3(call, "s3:PutBucketObjectLockConfiguration", {}, true);
  const bucket = bucketOf(call);
  if (!bucket.objectLock && bucket.versioning !== "Enabled") {
    throw new S3Error(
      "InvalidBucketState",
      409,
      "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
    );
  }
  const rule = parseLockConfiguration(parseXmlBody(call.ctx.request.body));
  bucket.objectLock = rule ? { defaultRetention: rule } : {};
  return s3Empty(200);
}

// GetObjectLockConfiguration (GET /bucket?object-lock).
export function getObjectLockConfiguration(call: S3Call): SandboxResponse {
  authorizeS3(call, "s3:GetBucketObjectLockConfiguration", {}, true);
  const bucket = bucketOf(call);
  const lock = bucket.objectLock;
  if (!lock) {
    throw new S3Error(
      "ObjectLockConfigurationNotFoundError",
      404,
      "Object Lock configuration does not exist for this bucket",
      { BucketName: bucket.name },
    );
  }
  const body: XmlNode = { ObjectLockEnabled: "Enabled" };
  const rule = lock.defaultRetention;
  if (rule) {
    body.Rule = {
      DefaultRetention: {
        Mode: rule.mode,
        ...(rule.days !== undefined ? { Days: rule.days } : { Years: rule.years }),
      },
    };
  }
  return s3Xml(200, "ObjectLockConfiguration", body);
}

// <ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>
// <Mode/> and <Days/> or <Years/>, never both; anything else is MalformedXML (botocore s3 model,
// ObjectLockConfiguration and DefaultRetention; S3's answers in the LocalStack snapshots).
function parseLockConfiguration(root: XmlElement): DefaultRetention | undefined {
  if (root.name !== "ObjectLockConfiguration" || childText(root, "ObjectLockEnabled") !== "Enabled") {
    throw malformedXml();
  }
  const rule = child(root, "Rule");
  if (!rule) return undefined;
  const retention = child(rule, "DefaultRetention");
  if (!retention) throw malformedXml();
  const mode = childText(retention, "Mode");
  const days = childText(retention, "Days");
  const years = childText(retention, "Years");
  if (!isRetentionMode(mode) || (days === undefined) === (years === undefined)) throw malformedXml();
  return days !== undefined
    ? { mode, days: period(days, "Days") }
    : { mode, years: period(years ?? "", "Years") };
}

// A Days or Years value: a positive whole number. (S3 documents no text for 0; this one is MinIO's.)
function period(text: string, name: string): number {
  if (!/^\d+$/.test(text)) throw malformedXml();
  const value = Number(text);
  if (value < 1)
    throw invalidArgument(
      `Default retention period must be a positive integer value for '${name}'`,
      name,
      text,
    );
  return value;
}
