import type { Command } from "commander";
import type { AwsClientOptions } from "../aws/sts-issuer.js";

export interface AwsFlags {
  profile?: string;
  region?: string;
  endpointUrl?: string;
}

// The flags every command that calls AWS takes, defined once so they read the same everywhere.
export function addAwsOptions(command: Command): Command {
  return command
    .option("--profile <name>", "AWS profile for the base identity")
    .option("--region <region>", "AWS region when the task file does not set one")
    .option("--endpoint-url <url>", "AWS endpoint for STS and IAM (VPC endpoint, the sandbox)");
}

// Flags to SDK client options; the task file's region wins over --region, as it does for run. The
// SDK reads AWS_REGION itself but not AWS_DEFAULT_REGION, which the AWS CLI and boto3 honour.
export function awsClientOptions(
  flags: AwsFlags,
  env: Readonly<Record<string, string | undefined>>,
  taskRegion?: string | undefined,
): AwsClientOptions {
  const defaultRegion = env.AWS_REGION ? undefined : env.AWS_DEFAULT_REGION || undefined;
  return {
    region: taskRegion ?? flags.region ?? defaultRegion,
    profile: flags.profile,
    endpoint: flags.endpointUrl,
  };
}
