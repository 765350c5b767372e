import { describe, expect, it } from "vitest";
import { resourceMatchesFormat } from "../../src/policy/arn-match.js";
import { hasBroadWildcard, wildcardPositions } from "../../src/policy/arn-parts.js";
import { allowOne, findingsOf, ROLE, rulesOf } from "./lint-helpers.js";

const A = "123456789012";
const OBJECT = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
const BUCKET = "arn:${Partition}:s3:::${BucketName}";
const FUNCTION = "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}";

async function rules(actions: string, resources: string): Promise<string[]> {
  return rulesOf(allowOne(actions, resources));
}

describe("resource patterns against ARN formats", () => {
  it("matches by position, with wildcards, placeholders and policy variables", () => {
    expect(resourceMatchesFormat("arn:aws:s3:::b/*", OBJECT)).toBe(true);
    expect(resourceMatchesFormat("arn:aws:s3:::b/*", BUCKET)).toBe(false);
    expect(resourceMatchesFormat("arn:aws:s3:::b", OBJECT)).toBe(false);
    expect(resourceMatchesFormat("arn:aws:s3:::*", OBJECT)).toBe(true);
    expect(resourceMatchesFormat("arn:aws:s3:::{{bucket}}/{{key}}", OBJECT)).toBe(true);
    expect(resourceMatchesFormat("arn:aws:s3:::{{bucket}}", OBJECT)).toBe(false);
    expect(resourceMatchesFormat("arn:aws:s3:::home-${aws:username}", BUCKET)).toBe(true);
    expect(resourceMatchesFormat("arn:aws:s3:::b?", BUCKET)).toBe(true);
    expect(resourceMatchesFormat(`arn:aws:lambda:eu-west-1:${A}:function:{{fn}}:*`, FUNCTION)).toBe(true);
    expect(resourceMatchesFormat(`arn:aws:dynamodb:eu-west-1:${A}:table/t`, FUNCTION)).toBe(false);
  });
  it("tells a function's qualifiers from a wildcard, and finds wildcards by position", () => {
    expect(hasBroadWildcard(`arn:aws:lambda:eu-west-1:${A}:function:app:*`)).toBe(false);
    expect(hasBroadWildcard(`arn:aws:lambda:eu-west-1:${A}:function:*`)).toBe(true);
    expect(wildcardPositions("arn:aws:s3:::*/*")).toEqual(["bucket name"]);
    expect(wildcardPositions("arn:aws:dynamodb:*:*:table/*")).toEqual(["region", "account", "table name"]);
    expect(wildcardPositions(`arn:aws:dynamodb:eu-west-1:${A}:table/t/index/*`)).toEqual([]);
    expect(wildcardPositions("arn:aws:s3:::releases/app/*")).toEqual([]);
  });
});

describe("wildcard-resource", () => {
  it('raises nothing for actions that take only "*"', async () => {
    for (const action of [
      "ec2:DescribeInstances",
      "cloudwatch:PutMetricData",
      "bedrock:ListFoundationModels",
    ]) {
      expect(await rules(`[${action}]`, "['*']"), action).toEqual([]);
    }
  });
  it("warns for actions that take resource ARNs, and names them", async () => {
    const findings = await findingsOf(allowOne("[ec2:DescribeInstances, s3:GetObject]", "['*']"));
    expect(findings.map((finding) => finding.rule)).toEqual(["wildcard-resource"]);
    expect(findings[0]?.message).toBe(
      'allows its actions on every resource ("*"); s3:GetObject takes resource ARNs',
    );
  });
});

describe("resource-type-mismatch", () => {
  it("s3:ListBucket on objects and s3:GetObject on a bucket allow nothing", async () => {
    expect(await rules("[s3:ListBucket]", "['arn:aws:s3:::b/*']")).toEqual(["error:resource-type-mismatch"]);
    expect(await rules("[s3:GetObject]", "['arn:aws:s3:::b']")).toEqual(["error:resource-type-mismatch"]);
    const [finding] = await findingsOf(allowOne("[s3:GetObject]", "['arn:aws:s3:::b']"));
    expect(finding?.message).toMatch(
      /^s3:GetObject matches none of this statement's resources, so it allows nothing/,
    );
    expect(finding?.location).toMatchObject({ line: 7, column: 19 });
  });
  it("passes each action with a resource of its type, and placeholders", async () => {
    expect(await rules("[s3:ListBucket, s3:GetObject]", "['arn:aws:s3:::b', 'arn:aws:s3:::b/*']")).toEqual(
      [],
    );
    const withParams = `${ROLE}\nparams:\n  bucket: { pattern: '[a-z-]+' }\n  key: { pattern: '[a-z/]+' }\nallow:\n  - actions: [s3:GetObject]\n    resources: ['arn:aws:s3:::{{bucket}}/{{key}}']`;
    expect(await rulesOf(withParams)).toEqual([]);
    expect(await rules("['s3:Get*']", "['arn:aws:s3:::b']")).toEqual([]);
  });
  it('an action that takes only "*" on an ARN allows nothing', async () => {
    expect(await rules("[ec2:DescribeInstances]", `['arn:aws:ec2:eu-west-1:${A}:instance/i-1']`)).toEqual([
      "error:resource-type-mismatch",
    ]);
  });
  it("a deny on the wrong type denies nothing", async () => {
    const body = `${allowOne("[s3:GetObject]", "['arn:aws:s3:::b/*']")}\ndeny:\n  - actions: [s3:DeleteObject]\n    resources: ['arn:aws:s3:::b']`;
    const findings = await findingsOf(body);
    expect(findings.map((finding) => finding.rule)).toEqual(["resource-type-mismatch"]);
    expect(findings[0]?.message).toMatch(/denies nothing/);
  });
  it("lambda:UpdateFunctionCode on function:{{fn}}:* is clean", async () => {
    const body = `${ROLE}\nparams:\n  fn: { pattern: '[a-z-]+' }\nallow:\n  - actions: [lambda:UpdateFunctionCode]\n    resources: ['arn:aws:lambda:eu-west-1:${A}:function:{{fn}}:*']`;
    expect(await rulesOf(body)).toEqual([]);
  });
});

describe("partial-wildcard-resource", () => {
  it("warns on a wildcard in the bucket, table, account or region", async () => {
    expect(await rules("[s3:GetObject]", "['arn:aws:s3:::*/*']")).toEqual([
      "warning:partial-wildcard-resource",
    ]);
    const [finding] = await findingsOf(allowOne("[dynamodb:GetItem]", "['arn:aws:dynamodb:*:*:table/*']"));
    expect(finding).toMatchObject({
      rule: "partial-wildcard-resource",
      severity: "warning",
      message: '"arn:aws:dynamodb:*:*:table/*" has a wildcard in the region, account and table name',
    });
  });
  it("passes a wildcard after the name", async () => {
    expect(await rules("[s3:GetObject]", "['arn:aws:s3:::releases/app/*']")).toEqual([]);
  });
});
