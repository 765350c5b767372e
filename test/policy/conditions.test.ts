import { describe, expect, it } from "vitest";
import { conditionValueProblem } from "../../src/policy/rules/condition-values.js";
import { allowOne, findingsOf } from "./lint-helpers.js";

const OBJECTS = "['arn:aws:s3:::b/*']";

function withCondition(effect: "allow" | "deny", operator: string, entry: string): string {
  const condition = `\n    conditions:\n      ${operator}: { ${entry} }`;
  if (effect === "allow") return allowOne("[s3:GetObject]", OBJECTS, condition);
  return `${allowOne("[s3:GetObject]", OBJECTS)}\ndeny:\n  - actions: [s3:GetObject]\n    resources: ${OBJECTS}${condition}`;
}

describe("unknown-condition-key", () => {
  it("is an error in a Deny (it fails open), at the key, with a suggestion", async () => {
    const findings = await findingsOf(
      withCondition("deny", "StringNotEquals", '"aws:RequestedRegon": eu-west-1'),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      rule: "unknown-condition-key",
      severity: "error",
      hint: "did you mean aws:RequestedRegion?",
      location: { line: 13, column: 30 },
    });
  });
  it("is a warning in an Allow", async () => {
    const findings = await findingsOf(withCondition("allow", "StringLike", '"s3:prefx": "home/*"'));
    expect(findings.map((finding) => `${finding.severity}:${finding.rule}`)).toEqual([
      "warning:unknown-condition-key",
    ]);
    expect(findings[0]?.hint).toBe("did you mean s3:prefix?");
  });
  it("knows global keys, service keys and tag-style prefixes, in any case", async () => {
    for (const entry of [
      '"aws:RequestedRegion": eu-west-1',
      '"aws:PrincipalTag/team": payments',
      '"aws:RequestTag/env": prod',
      '"s3:ExistingObjectTag/classification": public',
      '"S3:Prefix": home/',
      '"aws:SourceIp": 10.0.0.0/8',
    ]) {
      expect(await findingsOf(withCondition("deny", "StringEquals", entry)), entry).toEqual([]);
    }
  });
});

describe("condition-value", () => {
  it("checks values per operator and points at the value", async () => {
    const cases: Array<[string, string]> = [
      ["IpAddress", '"aws:SourceIp": 10.0.0.0/33'],
      ["Bool", '"aws:SecureTransport": "yes"'],
      ["DateLessThan", '"aws:CurrentTime": tomorrow'],
      ["NumericLessThan", '"s3:max-keys": ten'],
      ["ArnEquals", '"aws:SourceArn": "my-function"'],
    ];
    for (const [operator, entry] of cases) {
      const findings = await findingsOf(withCondition("allow", operator, entry));
      expect(
        findings.map((finding) => finding.rule),
        operator,
      ).toEqual(["condition-value"]);
      expect(findings[0]?.severity).toBe("error");
      expect(findings[0]?.location?.line).toBe(10);
    }
  });
  it("points at the offending item of a list", async () => {
    const findings = await findingsOf(
      withCondition("allow", "IpAddress", '"aws:SourceIp": [10.0.0.0/8, 300.1.1.1]'),
    );
    expect(findings[0]?.path?.at(-1)).toBe(1);
    expect(findings[0]?.location).toMatchObject({ line: 10, column: 53 });
  });
  it("accepts good values, set operators, IfExists and placeholders", () => {
    const good: Array<[string, string | number | boolean]> = [
      ["IpAddress", "10.0.0.0/8"],
      ["NotIpAddressIfExists", "2001:db8::/32"],
      ["IpAddress", "203.0.113.7"],
      ["Bool", true],
      ["Bool", "false"],
      ["DateGreaterThan", "2026-12-31T23:59:59Z"],
      ["DateLessThan", "2026-12-31"],
      ["DateLessThan", 1798761600],
      ["NumericLessThanEquals", "10"],
      ["ForAnyValue:ArnLike", "arn:aws:iam::123456789012:role/*"],
      ["ArnEquals", "{{role}}"],
      ["StringEquals", "anything"],
    ];
    for (const [operator, value] of good)
      expect(conditionValueProblem(operator, value), operator).toBeUndefined();
    expect(conditionValueProblem("ForAllValues:NumericEquals", "1.2.3")).toMatch(/takes a number/);
    expect(conditionValueProblem("DateEqualsIfExists", "2026-13-45")).toMatch(/ISO 8601/);
  });
});
