import { describe, expect, it } from "vitest";
import { iamRegionFor } from "../../src/aws/iam-partition.js";
import { ExitCode } from "../../src/errors.js";

// The IAM endpoint that revokes is the role's partition's (botocore/data/endpoints.json, "iam"
// partitionEndpoint credentialScope), whatever region the run uses.
describe("iamRegionFor", () => {
  it.each([
    ["arn:aws:iam::123456789012:role/deployer", "us-east-1"],
    ["arn:aws-cn:iam::123456789012:role/deployer", "cn-north-1"],
    ["arn:aws-us-gov:iam::123456789012:role/path/deployer", "us-gov-west-1"],
    ["arn:aws-iso:iam::123456789012:role/deployer", "us-iso-east-1"],
    ["arn:aws-iso-b:iam::123456789012:role/deployer", "us-isob-east-1"],
  ])("%s is revoked through IAM in %s", (arn, region) => {
    expect(iamRegionFor(arn)).toBe(region);
  });

  it("refuses a partition it does not know, as a usage error naming the known ones", () => {
    let thrown: unknown;
    try {
      iamRegionFor("arn:aws-mars:iam::123456789012:role/deployer");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      exitCode: ExitCode.usage,
      message:
        'cannot tell which IAM endpoint revokes arn:aws-mars:iam::123456789012:role/deployer: unknown partition "aws-mars"',
    });
  });
});
