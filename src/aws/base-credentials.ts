// The base identity's part of a client's configuration. With --profile NAME whose profile assumes a
// role (role_arn + source_profile), the SDK's own AssumeRole for that profile runs in a nested STS
// client that resolves its endpoint from AWS_PROFILE's profile, never from NAME's: NAME's
// endpoint_url was missed (an STS VPC endpoint, the sandbox) or another profile's was used. Here the
// default chain gets an AssumeRole that goes where the profile's configured STS endpoint says, so
// `--profile NAME` is `AWS_PROFILE=NAME` for the base identity too.

import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { sdkLogger } from "./sdk-logger.js";
import type { AwsClientOptions } from "./sts-issuer.js";

/** Where a profile's own AssumeRole (role_arn) goes: what AWS_PROFILE=NAME would give the SDK. */
export interface ProfileChain {
  /** The profile's configured STS endpoint (src/aws/configured-endpoint.ts); none: the region's. */
  endpoint?: string | undefined;
  /** The profile's region, else the region taskaccess uses; the SDK's nested client picks the same. */
  region?: string | undefined;
}

/** AssumeRole as the SDK's credential-provider-ini calls its `roleAssumer`. */
type AssumeRoleParams = Parameters<
  NonNullable<import("@aws-sdk/credential-provider-node").DefaultProviderInit["roleAssumer"]>
>[1];

// Credentials and profile for a client: fixed ones, or the SDK's default chain for the profile,
// with the profile's AssumeRole sent to the profile's STS endpoint when --profile named it.
export function baseCredentialOptions(
  options: Pick<AwsClientOptions, "credentials" | "profile" | "profileChain" | "region" | "warn">,
): { profile?: string; credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider } {
  if (options.credentials) return { credentials: options.credentials };
  if (!options.profile) return {};
  const chain = options.profileChain;
  if (!chain) return { profile: options.profile };
  const profile = options.profile;
  let provider: Promise<AwsCredentialIdentityProvider> | undefined;
  const load = async () => {
    const { defaultProvider } = await import("@aws-sdk/credential-provider-node");
    return defaultProvider({
      profile,
      logger: sdkLogger("STS", options.warn),
      roleAssumer: profileRoleAssumer(chain, options),
    });
  };
  return {
    profile,
    credentials: async (properties) => {
      provider ??= load();
      return (await provider)(properties);
    },
  };
}

// The profile's AssumeRole through taskaccess's own STS client, at the profile's STS endpoint.
function profileRoleAssumer(
  chain: ProfileChain,
  options: Pick<AwsClientOptions, "region" | "warn">,
): (source: AwsCredentialIdentity, params: AssumeRoleParams) => Promise<AwsCredentialIdentity> {
  return async (source, params) => {
    const { STSClient, AssumeRoleCommand } = await import("@aws-sdk/client-sts");
    const client = new STSClient({
      // us-east-1 when nothing says otherwise, as the SDK's nested client (stsRegionDefaultResolver).
      region: chain.region ?? options.region ?? "us-east-1",
      credentials: source,
      ...(chain.endpoint ? { endpoint: chain.endpoint } : { ignoreConfiguredEndpointUrls: true }),
      logger: sdkLogger("STS", options.warn),
    });
    // One client a call, closed after it: the chain calls again only when these credentials expire.
    const { Credentials, AssumedRoleUser } = await client
      .send(new AssumeRoleCommand(params))
      .finally(() => client.destroy());
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) {
      throw new Error(`the AssumeRole response for ${params.RoleArn} lacks credentials`);
    }
    const accountId = AssumedRoleUser?.Arn?.split(":")[4];
    return {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      ...(Credentials.SessionToken ? { sessionToken: Credentials.SessionToken } : {}),
      ...(Credentials.Expiration ? { expiration: Credentials.Expiration } : {}),
      ...(accountId ? { accountId } : {}),
    };
  };
}
