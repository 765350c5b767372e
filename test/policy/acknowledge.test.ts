import { describe, expect, it } from "vitest";
import { acknowledgedField } from "../../src/policy/acknowledge.js";
import { isBlocking } from "../../src/policy/finding.js";
import { acknowledgeableRules } from "../../src/policy/rule-ids.js";
import { makeProject, runInProcess } from "../helpers/run-cli.js";
import { taskFileWith } from "../helpers/task-files.js";
import { allowOne, findingsOf } from "./lint-helpers.js";

const KMS = "['arn:aws:kms:eu-west-1:123456789012:key/k']";

describe("acknowledge", () => {
  it("turns the rule's findings into acknowledged warnings that refuse nothing, even with --strict", async () => {
    const body = allowOne(
      "[kms:CreateGrant]",
      KMS,
      "\nacknowledge:\n  escape-resource-policy: the backup job needs a grant",
    );
    const findings = await findingsOf(body);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      rule: "escape-resource-policy",
      severity: "warning",
      acknowledged: "the backup job needs a grant",
    });
    expect(findings[0]?.message).toMatch(/\(acknowledged: the backup job needs a grant\)$/);
    expect(isBlocking(findings[0] as never, true)).toBe(false);
    expect(acknowledgedField(findings)).toEqual({
      acknowledged: { "escape-resource-policy": "the backup job needs a grant" },
    });
  });
  it("leaves other rules' findings as they were", async () => {
    const body = allowOne("[kms:CreateGrant]", KMS, "\nacknowledge:\n  escape-pass-role: not this one");
    const rules = (await findingsOf(body)).map((finding) => `${finding.severity}:${finding.rule}`);
    expect(rules).toEqual(["error:escape-resource-policy", "warning:unused-acknowledgement"]);
  });
  it("refuses an unknown rule id with a suggestion, and rules STS would refuse anyway", async () => {
    const [unknown] = await findingsOf(
      allowOne("[s3:GetObject]", "['arn:aws:s3:::b/*']", "\nacknowledge:\n  escape-pasrole: x"),
    );
    expect(unknown).toMatchObject({
      rule: "unknown-acknowledgement",
      severity: "error",
      hint: "did you mean escape-pass-role?",
      location: { line: 10, column: 7 },
    });
    const [size] = await findingsOf(
      allowOne("[s3:GetObject]", "['arn:aws:s3:::b/*']", "\nacknowledge:\n  policy-too-large: x"),
    );
    expect(size?.message).toBe('"policy-too-large" cannot be acknowledged: STS would refuse the policy');
    expect(acknowledgeableRules()).not.toContain("policy-too-large");
  });
  it("a reason is required", async () => {
    await expect(
      findingsOf(
        allowOne("[s3:GetObject]", "['arn:aws:s3:::b/*']", "\nacknowledge:\n  escape-pass-role: ''"),
      ),
    ).rejects.toThrow(/must give the reason/);
  });
  it("validate --strict passes a task whose only findings are acknowledged, and prints them", async () => {
    const text = taskFileWith(
      allowOne("[kms:CreateGrant]", KMS, "\nacknowledge:\n  escape-resource-policy: reviewed in SEC-12"),
    );
    const cwd = makeProject({ "taskaccess.yaml": text });
    const result = await runInProcess(["validate", "--strict"], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("warning[escape-resource-policy]");
    expect(result.stderr).toContain("(acknowledged: reviewed in SEC-12)");
    const json = JSON.parse((await runInProcess(["validate", "--strict", "--json"], { cwd })).stdout);
    expect(json.ok).toBe(true);
  });
});

describe("acknowledge on a statement", () => {
  const passRole = (ack: string) =>
    `role: arn:aws:iam::123456789012:role/r\ndescription: d\nallow:\n  - actions: [lambda:CreateFunction]\n    resources: ['arn:aws:lambda:eu-west-1:123456789012:function:f']\n  - actions: [iam:PassRole]\n    resources: ['arn:aws:iam::123456789012:role/app']${ack}`;
  it("accepts that statement's findings only", async () => {
    const findings = await findingsOf(
      passRole("\n    acknowledge: { escape-pass-role: the function's own role }"),
    );
    expect(findings.map((finding) => `${finding.severity}:${finding.rule}:${finding.acknowledged}`)).toEqual([
      "warning:escape-pass-role:the function's own role",
    ]);
  });
  it("is unused on a statement without that finding", async () => {
    const body = allowOne(
      "[s3:GetObject]",
      "['arn:aws:s3:::b/*']",
      "\n    acknowledge: { escape-pass-role: x }",
    );
    const findings = await findingsOf(body);
    expect(findings.map((finding) => finding.rule)).toEqual(["unused-acknowledgement"]);
    expect(findings[0]?.path).toEqual(["tasks", "t", "allow", 0, "acknowledge", "escape-pass-role"]);
  });
});
