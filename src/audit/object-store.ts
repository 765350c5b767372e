// What the S3 session log needs of a bucket, as a small port: src/aws/s3-object-store.ts is the
// adapter over the AWS SDK, so no SDK type reaches the log's code.

/** One version of an object, as ListObjectVersions reports it. */
export interface ObjectVersionInfo {
  key: string;
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
  lastModified: Date | undefined;
}

/** Object Lock retention for a record: the mode and the date before which no version may be deleted. */
export interface Retention {
  mode: "GOVERNANCE" | "COMPLIANCE";
  retainUntil: Date;
}

export interface ObjectStore {
  /** Writes only if the key has no object (If-None-Match: *); "exists" when it has one. */
  putNew: (key: string, body: string, retention?: Retention | undefined) => Promise<"written" | "exists">;
  /** The object's text (a version of it when given); undefined when there is none. */
  get: (key: string, versionId?: string | undefined) => Promise<string | undefined>;
  /** Every key under the prefix, in key order, across pages. */
  list: (prefix: string) => AsyncIterable<string>;
  /** Every version and delete marker under the prefix (a bucket without versioning: one each). */
  listVersions: (prefix: string) => AsyncIterable<ObjectVersionInfo>;
}
