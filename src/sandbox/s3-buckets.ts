import type { Bucket, ObjectLockSettings } from "./state.js";
import type { WorldBucket } from "./world.js";

/** How a new bucket starts: versioned, or with Object Lock (which implies versioning). */
export interface NewBucketOptions {
  versioning?: boolean;
  objectLock?: ObjectLockSettings | undefined;
}

// A new, empty bucket. Object Lock turns versioning on: "When you create a bucket with Object Lock
// enabled, Amazon S3 automatically enables versioning for the bucket" (Amazon S3 User Guide, "S3 Object
// Lock overview", Bucket configuration).
export function makeBucket(
  name: string,
  account: string,
  now: number,
  options: NewBucketOptions = {},
): Bucket {
  const bucket: Bucket = { name, account, createDate: now, objects: new Map(), versions: new Map() };
  if (options.versioning || options.objectLock) bucket.versioning = "Enabled";
  if (options.objectLock) bucket.objectLock = options.objectLock;
  return bucket;
}

// A bucket as the world file gives it: a plain name, or `{ name, versioning?, objectLock? }`.
export function bucketFromWorld(entry: WorldBucket, account: string, now: number): Bucket {
  if (typeof entry === "string") return makeBucket(entry, account, now);
  const lock = entry.objectLock;
  let objectLock: ObjectLockSettings | undefined;
  if (lock === true) objectLock = {};
  else if (lock !== undefined) {
    objectLock = {
      defaultRetention:
        "days" in lock ? { mode: lock.mode, days: lock.days } : { mode: lock.mode, years: lock.years },
    };
  }
  return makeBucket(entry.name, account, now, { versioning: entry.versioning === true, objectLock });
}
