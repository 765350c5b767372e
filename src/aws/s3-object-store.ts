import type { ListedObject, ObjectStore, ObjectVersionInfo, Retention } from "../audit/object-store.js";
import { baseCredentialOptions } from "./base-credentials.js";
import { describeAwsError } from "./describe-aws-error.js";
import { createFastGet, createSignedGet, type SignedGet } from "./s3-fast-get.js";
import { fetchVersionsPage, listAllVersions, type VersionsMarker } from "./s3-fast-list.js";
import type { VersionsPage } from "./s3-versions-xml.js";
import { sdkLogger } from "./sdk-logger.js";
import { type AwsClientOptions, endpointOptions } from "./sts-issuer.js";

type S3Module = typeof import("@aws-sdk/client-s3");
type S3Client = import("@aws-sdk/client-s3").S3Client;

// The S3 session log's bucket over the AWS SDK, with the base identity's credentials (never the
// command's). A custom endpoint (the sandbox, a VPC endpoint) is addressed path-style; the bucket's
// region is followed when it is not the client's.
export function createS3ObjectStore(bucket: string, options: AwsClientOptions): ObjectStore {
  let loaded: Promise<{ s3: S3Module; client: S3Client }> | undefined;
  const load = () => {
    loaded ??= (async () => {
      const s3 = await import("@aws-sdk/client-s3");
      const client = new s3.S3Client({
        region: options.region ?? "us-east-1",
        ...baseCredentialOptions(options),
        ...endpointOptions(options),
        ...(options.endpoint ? { forcePathStyle: true } : {}),
        followRegionRedirects: true,
        maxAttempts: options.maxAttempts ?? 4,
        logger: sdkLogger("S3", options.warn),
      });
      return { s3, client };
    })();
    return loaded;
  };
  // The fast paths (signed GETs without the SDK's stack) share one pool of connections.
  let signed: Promise<SignedGet> | undefined;
  const signedGetFor = async (client: S3Client) =>
    createSignedGet({
      bucket,
      endpoint: options.endpoint,
      region: await client.config.region(),
      credentials: async () => await client.config.credentials(),
    });
  let fast: Promise<(key: string) => Promise<string | undefined>> | undefined;
  const fastGetFor = async (client: S3Client) => {
    signed ??= signedGetFor(client);
    return createFastGet(await signed);
  };
  return {
    putNew: async (key, body, retention) => {
      const { s3, client } = await load();
      try {
        await client.send(
          new s3.PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            IfNoneMatch: "*",
            ContentType: "application/json",
            ...lockHeaders(retention),
          }),
        );
        return "written";
      } catch (error) {
        if ((error as { name?: string }).name === "PreconditionFailed") return "exists";
        throw describeAwsError(`Could not write s3://${bucket}/${key}`, error);
      }
    },
    get: async (key, versionId) => {
      const { s3, client } = await load();
      // The plain case without the SDK's stack; anything else goes the SDK's way below.
      if (!versionId) {
        fast ??= fastGetFor(client);
        const text = await (await fast)(key).then(
          (found) => ({ found }),
          () => undefined,
        );
        if (text) return text.found;
      }
      try {
        const result = await client.send(
          new s3.GetObjectCommand({
            Bucket: bucket,
            Key: key,
            ...(versionId ? { VersionId: versionId } : {}),
          }),
        );
        return (await result.Body?.transformToString("utf8")) ?? "";
      } catch (error) {
        if (["NoSuchKey", "NoSuchVersion", "NotFound"].includes((error as { name?: string }).name ?? ""))
          return undefined;
        throw describeAwsError(`Could not read s3://${bucket}/${key}`, error);
      }
    },
    list: (prefix) => listKeys(load, bucket, prefix),
    listVersions: (prefix) =>
      listAllVersions(async (marker) => {
        const { client } = await load();
        signed ??= signedGetFor(client);
        const fastPage = await fetchVersionsPage(await signed, prefix, marker).catch(() => undefined);
        return fastPage ?? (await sdkVersionsPage(load, bucket, prefix, marker));
      }),
  };
}

function lockHeaders(retention: Retention | undefined) {
  return retention
    ? { ObjectLockMode: retention.mode, ObjectLockRetainUntilDate: retention.retainUntil }
    : {};
}

async function* listKeys(
  load: () => Promise<{ s3: S3Module; client: S3Client }>,
  bucket: string,
  prefix: string,
): AsyncGenerator<ListedObject> {
  const { s3, client } = await load();
  let token: string | undefined;
  do {
    const page = await client
      .send(
        new s3.ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      )
      .catch((error: unknown) => {
        throw describeAwsError(`Could not list s3://${bucket}/${prefix}`, error, {
          AccessDenied:
            "the identity reading the log needs s3:ListBucket on the bucket and s3:GetObject on the prefix",
        });
      });
    for (const object of page.Contents ?? []) if (object.Key) yield { key: object.Key, etag: object.ETag };
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

// One page of ListObjectVersions through the SDK.
async function sdkVersionsPage(
  load: () => Promise<{ s3: S3Module; client: S3Client }>,
  bucket: string,
  prefix: string,
  marker: VersionsMarker,
): Promise<VersionsPage> {
  const { s3, client } = await load();
  const page = await client
    .send(
      new s3.ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        ...(marker.keyMarker ? { KeyMarker: marker.keyMarker } : {}),
        ...(marker.versionIdMarker ? { VersionIdMarker: marker.versionIdMarker } : {}),
      }),
    )
    .catch((error: unknown) => {
      throw describeAwsError(`Could not list the versions under s3://${bucket}/${prefix}`, error, {
        AccessDenied: "`log verify` on an S3 log needs s3:ListBucketVersions on the bucket",
      });
    });
  return {
    entries: inKeyOrder([
      ...(page.Versions ?? []).map((v) => ({
        key: v.Key ?? "",
        versionId: v.VersionId ?? "null",
        isLatest: v.IsLatest ?? false,
        deleteMarker: false,
        lastModified: v.LastModified,
        etag: v.ETag,
      })),
      ...(page.DeleteMarkers ?? []).map((m) => ({
        key: m.Key ?? "",
        versionId: m.VersionId ?? "null",
        isLatest: m.IsLatest ?? false,
        deleteMarker: true,
        lastModified: m.LastModified,
      })),
    ]),
    truncated: page.IsTruncated ?? false,
    nextKeyMarker: page.NextKeyMarker,
    nextVersionIdMarker: page.NextVersionIdMarker,
  };
}

// A page's versions and delete markers come in two lists; merged by key (newest first within a key,
// by LastModified), so that a reader can take the listing one key, or one folder, at a time.
function inKeyOrder(entries: ObjectVersionInfo[]): ObjectVersionInfo[] {
  const time = (entry: ObjectVersionInfo) => entry.lastModified?.getTime() ?? 0;
  return entries
    .filter((entry) => entry.key !== "")
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : time(b) - time(a)));
}
