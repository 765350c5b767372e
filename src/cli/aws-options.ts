import type { Command } from "commander";
import type { ProfileChain } from "../aws/base-credentials.js";
import type { ConfigFile } from "../aws/shared-config-file.js";
import type { AwsClientOptions } from "../aws/sts-issuer.js";

export interface AwsFlags {
  profile?: string;
  region?: string;
  endpointUrl?: string;
  iamEndpointUrl?: string;
}

/** Client settings for each service taskaccess calls: STS issues, IAM revokes, S3 keeps an S3 log. */
export interface AwsServiceOptions {
  sts: AwsClientOptions;
  iam: AwsClientOptions;
  s3: AwsClientOptions;
}

// The flags every command that calls AWS takes, defined once so they read the same everywhere.
export function addAwsOptions(command: Command): Command {
  return command
    .option("--profile <name>", "AWS profile for the base identity (the same as AWS_PROFILE=NAME)")
    .option("--region <region>", "AWS region when the task file does not set one")
    .option(
      "--endpoint-url <url>",
      "STS endpoint (an STS VPC endpoint, the sandbox); default: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's endpoint_url",
    )
    .option(
      "--iam-endpoint-url <url>",
      "IAM endpoint, for revocation; default: AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL, the profile's endpoint_url, else the role's partition's",
    );
}

// Flags to SDK client options; the task file's region wins over --region, as it does for run. The
// SDK reads AWS_REGION itself but not AWS_DEFAULT_REGION, which the AWS CLI and boto3 honour.
// Endpoints are resolved here, as the SDKs do, but with the profile of --profile too
// (src/aws/configured-endpoint.ts): --endpoint-url is STS's alone, so that an STS VPC endpoint
// never takes revocation away from IAM. `warn` hears the SDK's warnings that matter, reworded.
export async function awsClientOptions(
  flags: AwsFlags,
  env: Readonly<Record<string, string | undefined>>,
  taskRegion?: string | undefined,
  warn?: ((message: string) => void) | undefined,
): Promise<AwsServiceOptions> {
  const defaultRegion = env.AWS_REGION ? undefined : env.AWS_DEFAULT_REGION || undefined;
  const common = {
    region: taskRegion ?? flags.region ?? defaultRegion,
    profile: flags.profile,
    endpointResolved: true,
    warn,
  };
  // Loaded here, not at start-up: every command registers these flags, few call AWS.
  const { configuredEndpoint } = await import("../aws/configured-endpoint.js");
  const { readConfigFile } = await import("../aws/shared-config-file.js");
  const configFile = await readConfigFile(env);
  const sources = { env, profile: flags.profile, configFile };
  const stsConfigured = await configuredEndpoint("STS", sources);
  const chain = profileChain(flags.profile, configFile, stsConfigured, common.region ?? env.AWS_REGION);
  const shared = { ...common, ...(chain ? { profileChain: chain } : {}) };
  return {
    sts: { ...shared, endpoint: flags.endpointUrl ?? stsConfigured },
    iam: { ...shared, endpoint: flags.iamEndpointUrl ?? (await configuredEndpoint("IAM", sources)) },
    s3: { ...shared, endpoint: await configuredEndpoint("S3", sources) },
  };
}

// With --profile, where that profile's own AssumeRole goes: its configured STS endpoint (never
// --endpoint-url, which the AWS CLI does not apply to a profile's role either) and its region.
function profileChain(
  profile: string | undefined,
  configFile: ConfigFile,
  stsEndpoint: string | undefined,
  region: string | undefined,
): ProfileChain | undefined {
  if (!profile) return undefined;
  return { endpoint: stsEndpoint, region: configFile[profile]?.region || region };
}

// STS settings for commands that revoke sessions the log names (revoke, gc): they need only some
// STS endpoint, so with no region configured the one of the first role's partition serves (the
// log and the ARN say enough); AWS_REGION is left to the SDK, which reads it itself.
export async function stsForRoles(
  sts: AwsClientOptions,
  env: Readonly<Record<string, string | undefined>>,
  roles: readonly (string | null | undefined)[],
): Promise<AwsClientOptions> {
  if (sts.region !== undefined || env.AWS_REGION) return sts;
  const first = roles.find((role) => role);
  if (!first) return sts;
  const { iamRegionFor } = await import("../aws/iam-partition.js");
  return { ...sts, region: iamRegionFor(first) };
}
