// What the S3 session log needs of a bucket, as a small port: src/aws/s3-object-store.ts is the
// adapter over the AWS SDK, so no SDK type reaches the log's code.

/** One object, as ListObjectsV2 reports it. */
export interface ListedObject {
  key: string;
  /** The ETag as S3 lists it (quotes kept): the MD5 of the body for a plain single-part PutObject. */
  etag?: string | undefined;
}

/** One version of an object, as ListObjectVersions reports it. */
export interface ObjectVersionInfo {
  key: string;
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
  lastModified: Date | undefined;
  /** The version's ETag (none for a delete marker). */
  etag?: string | undefined;
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
  /** Every object under the prefix, in key order, across pages. */
  list: (prefix: string) => AsyncIterable<ListedObject>;
  /**
   * Every version and delete marker under the prefix (a bucket without versioning: one each), in
   * key order, a key's newest first: its versions and markers are never split by another key's.
   */
  listVersions: (prefix: string) => AsyncIterable<ObjectVersionInfo>;
}
