import { describe, expect, it } from "vitest";
import { evaluateTrustPolicy, type TrustRequest } from "../../src/iam/trust.js";
import type { PolicyDocument, Principal, Statement } from "../../src/iam/types.js";

const ACCOUNT = "123456789012";
const OTHER = "210987654321";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/deployer`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ci-run-1`;
const USER = `arn:aws:iam::${ACCOUNT}:user/alice`;

function trust(...statements: Statement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

function allowFrom(principal: Principal, extra: Partial<Statement> = {}): PolicyDocument {
  return trust({ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole", ...extra });
}

function assume(principalArn: string, overrides: Partial<TrustRequest> = {}): TrustRequest {
  return { principalArn, accountId: ACCOUNT, action: "sts:AssumeRole", context: {}, ...overrides };
}

describe("evaluateTrustPolicy principals", () => {
  it('allows anyone with "*" and {"AWS": "*"}', () => {
    expect(evaluateTrustPolicy(allowFrom("*"), assume(USER)).allowed).toBe(true);
    expect(evaluateTrustPolicy(allowFrom({ AWS: "*" }), assume(`arn:aws:iam::${OTHER}:user/x`)).allowed).toBe(
      true,
    );
  });

  it("lets an account id or root ARN match every principal of that account, requiring its identity policy", () => {
    for (const principal of [ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`]) {
      const decision = evaluateTrustPolicy(allowFrom({ AWS: principal }), assume(USER));
      expect(decision.allowed).toBe(true);
      expect(decision.requiresIdentityPolicyAllow).toBe(true);
      expect(evaluateTrustPolicy(allowFrom({ AWS: principal }), assume(SESSION)).allowed).toBe(true);
      expect(
        evaluateTrustPolicy(allowFrom({ AWS: principal }), assume(`arn:aws:iam::${OTHER}:user/x`)).allowed,
      ).toBe(false);
    }
  });

  it("matches a user ARN exactly, without needing an identity policy in the same account", () => {
    const decision = evaluateTrustPolicy(allowFrom({ AWS: USER }), assume(USER));
    expect(decision).toEqual({
      allowed: true,
      kind: "allow",
      reason: { policyType: "resource", policyName: "trust-policy", statementIndex: 0 },
      explanation: 'Allowed by statement 0 of the trust policy "trust-policy".',
      requiresIdentityPolicyAllow: false,
    });
    expect(
      evaluateTrustPolicy(allowFrom({ AWS: USER }), assume(`arn:aws:iam::${ACCOUNT}:user/bob`)).allowed,
    ).toBe(false);
  });

  it("matches a role ARN against sessions of that role, ignoring the role path", () => {
    expect(evaluateTrustPolicy(allowFrom({ AWS: ROLE }), assume(SESSION)).allowed).toBe(true);
    const withPath = `arn:aws:iam::${ACCOUNT}:role/team/platform/deployer`;
    expect(evaluateTrustPolicy(allowFrom({ AWS: withPath }), assume(SESSION)).allowed).toBe(true);
    expect(
      evaluateTrustPolicy(allowFrom({ AWS: `arn:aws:iam::${ACCOUNT}:role/other` }), assume(SESSION)).allowed,
    ).toBe(false);
    expect(
      evaluateTrustPolicy(allowFrom({ AWS: `arn:aws:iam::${OTHER}:role/deployer` }), assume(SESSION)).allowed,
    ).toBe(false);
  });

  it("matches an assumed-role session ARN exactly", () => {
    expect(evaluateTrustPolicy(allowFrom({ AWS: SESSION }), assume(SESSION)).allowed).toBe(true);
    const otherSession = `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ci-run-2`;
    expect(evaluateTrustPolicy(allowFrom({ AWS: SESSION }), assume(otherSession)).allowed).toBe(false);
  });

  it("matches service principals by name", () => {
    const policy = allowFrom({ Service: "ec2.amazonaws.com" });
    expect(evaluateTrustPolicy(policy, assume("ec2.amazonaws.com")).allowed).toBe(true);
    expect(evaluateTrustPolicy(policy, assume("lambda.amazonaws.com")).allowed).toBe(false);
  });

  it("requires the caller's identity policy across accounts, even when named directly", () => {
    const outsider = `arn:aws:iam::${OTHER}:user/x`;
    const decision = evaluateTrustPolicy(allowFrom({ AWS: outsider }), assume(outsider));
    expect(decision.allowed).toBe(true);
    expect(decision.requiresIdentityPolicyAllow).toBe(true);
  });
});

describe("evaluateTrustPolicy statements", () => {
  it("implicitly denies an unnamed caller", () => {
    const decision = evaluateTrustPolicy(allowFrom({ AWS: USER }), assume(SESSION), {
      policyName: "deployer-trust",
    });
    expect(decision).toEqual({
      allowed: false,
      kind: "implicit-deny",
      reason: { policyType: "resource", policyName: "deployer-trust" },
      explanation: `Implicitly denied: the trust policy "deployer-trust" does not allow ${SESSION} to perform sts:AssumeRole.`,
      requiresIdentityPolicyAllow: false,
    });
  });

  it("checks the action", () => {
    const policy = allowFrom({ AWS: USER });
    expect(evaluateTrustPolicy(policy, assume(USER, { action: "sts:TagSession" })).allowed).toBe(false);
    const withTags = allowFrom({ AWS: USER }, { Action: ["sts:AssumeRole", "sts:TagSession"] });
    expect(evaluateTrustPolicy(withTags, assume(USER, { action: "sts:TagSession" })).allowed).toBe(true);
    const wildcard = allowFrom({ AWS: USER }, { Action: "sts:*" });
    expect(evaluateTrustPolicy(wildcard, assume(USER, { action: "sts:SetSourceIdentity" })).allowed).toBe(
      true,
    );
  });

  it("evaluates conditions such as sts:ExternalId and aws:SourceIdentity", () => {
    const policy = allowFrom(
      { AWS: USER },
      {
        Condition: {
          StringEquals: { "sts:ExternalId": "task-42" },
          StringLike: { "aws:SourceIdentity": "ci-*" },
        },
      },
    );
    const good = { "sts:ExternalId": "task-42", "aws:SourceIdentity": "ci-runner" };
    expect(evaluateTrustPolicy(policy, assume(USER, { context: good })).allowed).toBe(true);
    expect(
      evaluateTrustPolicy(policy, assume(USER, { context: { ...good, "sts:ExternalId": "x" } })).allowed,
    ).toBe(false);
    expect(
      evaluateTrustPolicy(policy, assume(USER, { context: { "sts:ExternalId": "task-42" } })).allowed,
    ).toBe(false);
  });

  it("lets an explicit deny win", () => {
    const policy = trust(
      { Effect: "Allow", Principal: { AWS: ACCOUNT }, Action: "sts:AssumeRole" },
      { Sid: "NoAlice", Effect: "Deny", Principal: { AWS: USER }, Action: "sts:AssumeRole" },
    );
    const decision = evaluateTrustPolicy(policy, assume(USER));
    expect(decision.kind).toBe("explicit-deny");
    expect(decision.reason).toEqual({
      policyType: "resource",
      policyName: "trust-policy",
      statementIndex: 1,
      sid: "NoAlice",
    });
    expect(evaluateTrustPolicy(policy, assume(SESSION)).allowed).toBe(true);
  });

  it("applies NotPrincipal: Deny spares only a fully listed caller", () => {
    const policy = trust(
      { Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" },
      {
        Effect: "Deny",
        NotPrincipal: { AWS: [USER, `arn:aws:iam::${ACCOUNT}:root`] },
        Action: "sts:AssumeRole",
      },
    );
    expect(evaluateTrustPolicy(policy, assume(USER)).allowed).toBe(true);
    expect(evaluateTrustPolicy(policy, assume(`arn:aws:iam::${ACCOUNT}:user/bob`)).kind).toBe(
      "explicit-deny",
    );
    expect(evaluateTrustPolicy(policy, assume(SESSION)).kind).toBe("explicit-deny");
  });
});
