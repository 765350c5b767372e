import type { ObjectStore } from "../audit/object-store.js";
import type { AwsFlags } from "./aws-options.js";

// How the CLI reaches an S3 session log's bucket: the base identity (the SDK's default chain, or
// --profile), the region as for run (else us-east-1, following the bucket's own region), and the
// S3 endpoint as the SDKs resolve it (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's).
// Nothing is loaded until a bucket is used: a local log never pays for the S3 client.
export function logStoreOpener(
  env: Readonly<Record<string, string | undefined>>,
  flags: AwsFlags = {},
  taskRegion?: string | undefined,
  warn?: ((message: string) => void) | undefined,
): (bucket: string) => ObjectStore {
  return (bucket) =>
    deferred(async () => {
      const { createS3ObjectStore } = await import("../aws/s3-object-store.js");
      const { awsClientOptions } = await import("./aws-options.js");
      const { s3 } = await awsClientOptions(flags, env, taskRegion, warn);
      return createS3ObjectStore(bucket, { ...s3, region: s3.region ?? env.AWS_REGION ?? "us-east-1" });
    });
}

// An ObjectStore built on first use.
function deferred(make: () => Promise<ObjectStore>): ObjectStore {
  let store: Promise<ObjectStore> | undefined;
  const get = () => {
    store ??= make();
    return store;
  };
  return {
    putNew: async (key, body, retention) => (await get()).putNew(key, body, retention),
    get: async (key, versionId) => (await get()).get(key, versionId),
    list: async function* (prefix) {
      yield* (await get()).list(prefix);
    },
    listVersions: async function* (prefix) {
      yield* (await get()).listVersions(prefix);
    },
  };
}
