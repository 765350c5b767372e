import { describe, expect, it } from "vitest";
import { formatAccessDeniedMessage } from "../../src/iam/access-denied.js";
import { evaluateRequest } from "../../src/iam/evaluate.js";
import type { Decision, PolicyType } from "../../src/iam/types.js";

const SESSION = "arn:aws:sts::123456789012:assumed-role/deployer/ta-deploy-x";

function implicit(policyType: PolicyType): Decision {
  return { allowed: false, kind: "implicit-deny", reason: { policyType }, explanation: "" };
}

function explicit(policyType: PolicyType, policyName?: string): Decision {
  const reason = policyName === undefined ? { policyType } : { policyType, policyName, statementIndex: 0 };
  return { allowed: false, kind: "explicit-deny", reason, explanation: "" };
}

describe("formatAccessDeniedMessage", () => {
  it("formats an implicit deny by a session policy, quoting S3 resources", () => {
    expect(
      formatAccessDeniedMessage(SESSION, "s3:PutObject", "arn:aws:s3:::other/key", implicit("session")),
    ).toBe(
      'User: arn:aws:sts::123456789012:assumed-role/deployer/ta-deploy-x is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::other/key" because no session policy allows the s3:PutObject action',
    );
  });

  it.each([
    ["identity", "because no identity-based policy allows the s3:GetObject action"],
    ["boundary", "because no permissions boundary allows the s3:GetObject action"],
    ["resource", "because no resource-based policy allows the s3:GetObject action"],
  ] as const)("formats an implicit deny by a %s policy", (type, tail) => {
    expect(formatAccessDeniedMessage(SESSION, "s3:GetObject", "arn:aws:s3:::b/k", implicit(type))).toBe(
      `User: ${SESSION} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" ${tail}`,
    );
  });

  it.each([
    ["identity", "with an explicit deny in an identity-based policy"],
    ["session", "with an explicit deny in a session policy"],
    ["boundary", "with an explicit deny in a permissions boundary"],
    ["resource", "with an explicit deny in a resource-based policy"],
  ] as const)("formats an explicit deny in a %s policy", (type, tail) => {
    expect(formatAccessDeniedMessage(SESSION, "s3:GetObject", "arn:aws:s3:::b/k", explicit(type))).toBe(
      `User: ${SESSION} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" ${tail}`,
    );
  });

  it("appends the denying policy's name, as AWS appends the policy ARN", () => {
    expect(
      formatAccessDeniedMessage(
        SESSION,
        "s3:PutObject",
        "arn:aws:s3:::b/k",
        explicit("identity", "taskaccess-revoke-x"),
      ),
    ).toBe(
      `User: ${SESSION} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" with an explicit deny in an identity-based policy: taskaccess-revoke-x`,
    );
    expect(
      formatAccessDeniedMessage(SESSION, "s3:PutObject", "arn:aws:s3:::b/k", explicit("identity", "x"), {
        includePolicyName: false,
      }),
    ).toBe(
      `User: ${SESSION} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" with an explicit deny in an identity-based policy`,
    );
  });

  it("does not quote non-S3 resources unless asked", () => {
    const user = "arn:aws:iam::123456789012:user/Matt";
    expect(
      formatAccessDeniedMessage(
        user,
        "iam:ListRoles",
        "arn:aws:iam::123456789012:role/*",
        implicit("identity"),
      ),
    ).toBe(
      "User: arn:aws:iam::123456789012:user/Matt is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/* because no identity-based policy allows the iam:ListRoles action",
    );
    expect(
      formatAccessDeniedMessage(user, "iam:ListRoles", "*", implicit("identity"), { quoteResource: true }),
    ).toBe(
      `User: ${user} is not authorized to perform: iam:ListRoles on resource: "*" because no identity-based policy allows the iam:ListRoles action`,
    );
  });

  it("formats a real decision end to end", () => {
    const decision = evaluateRequest(
      { action: "s3:PutObject", resource: "arn:aws:s3:::other/key", principalArn: SESSION, context: {} },
      {
        identity: [
          {
            name: "role",
            document: {
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
            },
          },
        ],
        session: [
          {
            name: "inline",
            document: {
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::mine/*" }],
            },
          },
        ],
      },
    );
    expect(formatAccessDeniedMessage(SESSION, "s3:PutObject", "arn:aws:s3:::other/key", decision)).toBe(
      `User: ${SESSION} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::other/key" because no session policy allows the s3:PutObject action`,
    );
  });

  it("refuses an allow decision", () => {
    const allowed: Decision = {
      allowed: true,
      kind: "allow",
      reason: { policyType: "identity" },
      explanation: "",
    };
    expect(() => formatAccessDeniedMessage(SESSION, "s3:GetObject", "*", allowed)).toThrow(TypeError);
  });
});
