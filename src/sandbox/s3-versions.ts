import type { RandomSource } from "./ids.js";
import type { Bucket, DeleteMarker, ObjectVersion, S3Object } from "./state.js";

/** The version id of what is written while versioning is off or suspended (Amazon S3 User Guide). */
export const NULL_VERSION = "null";

const VERSION_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";

// A new version id: 32 URL-safe characters. S3's are "Unicode, UTF-8 encoded, URL-ready, opaque
// strings" (Amazon S3 User Guide, "How S3 Versioning works"), in practice 32 characters of this
// alphabet; random, so not ordered, as on S3.
export function newVersionId(random: RandomSource): string {
  const bytes = random.bytes(32);
  let id = "";
  for (const byte of bytes) id += VERSION_ALPHABET[byte % VERSION_ALPHABET.length];
  return id;
}

// Tells a delete marker from an object version.
export function isDeleteMarker(version: ObjectVersion): version is DeleteMarker {
  return "deleteMarker" in version;
}

// The key's versions, newest first (empty when the key has none).
export function versionsOf(bucket: Bucket, key: string): readonly ObjectVersion[] {
  return bucket.versions.get(key) ?? [];
}

// The key's current version: an object, a delete marker, or nothing.
export function currentVersion(bucket: Bucket, key: string): ObjectVersion | undefined {
  return versionsOf(bucket, key)[0];
}

// One version of the key by its id.
export function findVersion(bucket: Bucket, key: string, versionId: string): ObjectVersion | undefined {
  return versionsOf(bucket, key).find((version) => version.versionId === versionId);
}

// Stores a new object as the key's current version. With versioning Enabled it is one more version;
// otherwise it replaces the "null" version (S3 User Guide, "Adding objects to versioning-suspended
// buckets": "If a null version is already in the bucket … it is overwritten").
export function storeObject(bucket: Bucket, key: string, object: S3Object): void {
  pushVersion(bucket, key, object);
}

// DeleteObject without a versionId on a versioned bucket: a delete marker becomes the current
// version. Suspended, the marker's id is "null" and it replaces the null version.
export function addDeleteMarker(
  bucket: Bucket,
  key: string,
  now: number,
  random: RandomSource,
): DeleteMarker {
  const versionId = bucket.versioning === "Enabled" ? newVersionId(random) : NULL_VERSION;
  const marker: DeleteMarker = { deleteMarker: true, versionId, lastModified: now };
  pushVersion(bucket, key, marker);
  return marker;
}

// Removes one version for good (DeleteObject with versionId, or any delete in an unversioned bucket).
export function removeVersion(bucket: Bucket, key: string, versionId: string): void {
  setVersions(
    bucket,
    key,
    versionsOf(bucket, key).filter((version) => version.versionId !== versionId),
  );
}

// The version id a write gets in this bucket.
export function nextVersionId(bucket: Bucket, random: RandomSource): string {
  return bucket.versioning === "Enabled" ? newVersionId(random) : NULL_VERSION;
}

function pushVersion(bucket: Bucket, key: string, version: ObjectVersion): void {
  const older = versionsOf(bucket, key).filter(
    (existing) => version.versionId !== NULL_VERSION || existing.versionId !== NULL_VERSION,
  );
  setVersions(bucket, key, [version, ...older]);
}

// The one place that changes a key's versions, so `objects` (the current objects) always follows.
function setVersions(bucket: Bucket, key: string, versions: ObjectVersion[]): void {
  const [current] = versions;
  if (!current) bucket.versions.delete(key);
  else bucket.versions.set(key, versions);
  if (current && !isDeleteMarker(current)) bucket.objects.set(key, current);
  else bucket.objects.delete(key);
}
