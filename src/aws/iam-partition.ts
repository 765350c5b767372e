import { UsageError } from "../errors.js";

/**
 * IAM is one endpoint per partition, signed for that partition's credential-scope region
 * (botocore/data/endpoints.json: "iam" → "partitionEndpoint" aws-global, aws-cn-global,
 * aws-us-gov-global, aws-iso-global, aws-iso-b-global, … with "credentialScope.region").
 */
const IAM_REGION_BY_PARTITION: Record<string, string> = {
  aws: "us-east-1",
  "aws-cn": "cn-north-1",
  "aws-us-gov": "us-gov-west-1",
  "aws-iso": "us-iso-east-1",
  "aws-iso-b": "us-isob-east-1",
  "aws-iso-e": "eu-isoe-west-1",
  "aws-iso-f": "us-isof-south-1",
};

// The region an IAM client must use for a role: its ARN's partition decides, never the run's
// region or a fixed us-east-1, so that revocation in aws-cn or aws-us-gov reaches that partition.
export function iamRegionFor(roleArn: string): string {
  const partition = /^arn:([a-z-]+):iam::/.exec(roleArn)?.[1];
  const region = partition === undefined ? undefined : IAM_REGION_BY_PARTITION[partition];
  if (region === undefined) {
    throw new UsageError(
      `cannot tell which IAM endpoint revokes ${roleArn}: unknown partition ${JSON.stringify(partition ?? "")}`,
      `partitions taskaccess knows: ${Object.keys(IAM_REGION_BY_PARTITION).join(", ")}`,
    );
  }
  return region;
}
