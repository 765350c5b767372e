import { UsageError } from "../errors.js";

/** An S3 session log: `s3://BUCKET/PREFIX/`, every record an object under the prefix. */
export interface S3Location {
  bucket: string;
  /** Empty, or ending with "/". */
  prefix: string;
}

/** S3 bucket names (S3 User Guide, "Bucket naming rules"): 3-63 of a-z 0-9 . -, starting and ending with a letter or digit. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

// Whether a log location (--log, TASKACCESS_LOG, the task file's `log`) names an S3 log.
export function isS3Location(location: string): boolean {
  return location.startsWith("s3://");
}

// `s3://bucket/prefix/` to its parts; a bad one is refused before anything runs.
export function parseS3Location(location: string): S3Location {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(location);
  const bucket = match?.[1] ?? "";
  if (!match || !BUCKET_NAME.test(bucket)) {
    throw new UsageError(
      `${JSON.stringify(location)} is not an S3 log location`,
      "write it as s3://BUCKET/PREFIX/ (a bucket name of 3-63 lowercase letters, digits, dots and hyphens)",
    );
  }
  const rest = match[2] ?? "";
  return { bucket, prefix: rest === "" || rest.endsWith("/") ? rest : `${rest}/` };
}

// The canonical text of a location, as the log's messages and `log --json` show it.
export function formatS3Location(location: S3Location): string {
  return `s3://${location.bucket}/${location.prefix}`;
}
