import { describe, expect, it } from "vitest";
import {
  MalformedPolicyError,
  parsePolicyDocument,
  validatePolicyDocument,
} from "../../src/iam/parse-policy.js";

const allowAll = { Effect: "Allow", Action: "s3:*", Resource: "*" };

function policy(statement: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statement, ...extra });
}

function errorOf(json: string, kind?: "identity" | "session" | "trust"): string {
  try {
    parsePolicyDocument(json, kind === undefined ? {} : { kind });
  } catch (error) {
    if (error instanceof MalformedPolicyError) return error.message;
    throw error;
  }
  return "no error";
}

describe("parsePolicyDocument: accepted documents", () => {
  it("returns the typed document, keeping a single statement object as an object", () => {
    const doc = parsePolicyDocument(policy(allowAll));
    expect(doc).toEqual({
      Version: "2012-10-17",
      Statement: { Effect: "Allow", Action: "s3:*", Resource: "*" },
    });
  });

  it("keeps statement arrays, Sid, Id, NotAction/NotResource and conditions", () => {
    const json = policy(
      [
        {
          Sid: "One",
          Effect: "Deny",
          NotAction: ["iam:*"],
          NotResource: "arn:aws:s3:::b/*",
          Condition: {
            Bool: { "aws:MultiFactorAuthPresent": false },
            NumericLessThan: { "s3:max-keys": 10 },
          },
        },
      ],
      { Id: "policy-1" },
    );
    expect(parsePolicyDocument(json)).toEqual({
      Version: "2012-10-17",
      Id: "policy-1",
      Statement: [
        {
          Sid: "One",
          Effect: "Deny",
          NotAction: ["iam:*"],
          NotResource: "arn:aws:s3:::b/*",
          Condition: {
            Bool: { "aws:MultiFactorAuthPresent": false },
            NumericLessThan: { "s3:max-keys": 10 },
          },
        },
      ],
    });
  });

  it("accepts both policy language versions and a missing Version", () => {
    expect(parsePolicyDocument(policy(allowAll, { Version: "2008-10-17" })).Version).toBe("2008-10-17");
    expect(parsePolicyDocument(JSON.stringify({ Statement: allowAll })).Version).toBeUndefined();
  });

  it("accepts a trust policy with Principal and no Resource", () => {
    const trust = policy({
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::123456789012:root" },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "sts:ExternalId": "x" } },
    });
    expect(parsePolicyDocument(trust, { kind: "trust" }).Statement).toEqual({
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::123456789012:root" },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "sts:ExternalId": "x" } },
    });
  });

  it("accepts every documented principal form", () => {
    for (const principal of [
      "*",
      { AWS: "*" },
      { AWS: "123456789012" },
      { AWS: ["arn:aws:iam::123456789012:user/a", "arn:aws:sts::123456789012:assumed-role/r/s"] },
      { Service: "ec2.amazonaws.com" },
      { Federated: "cognito-identity.amazonaws.com" },
    ]) {
      expect(
        errorOf(policy({ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }), "trust"),
      ).toBe("no error");
    }
  });
});

describe("parsePolicyDocument: MalformedPolicyDocument errors", () => {
  it.each([
    ["invalid JSON", "{not json", "Syntax errors in policy."],
    ["a non-object document", "[]", "Syntax errors in policy."],
    [
      "an unknown top-level field",
      JSON.stringify({ Version: "2012-10-17", Foo: 1, Statement: allowAll }),
      "Unknown field Foo",
    ],
    ["an unknown Version", policy(allowAll, { Version: "2020-01-01" }), "Syntax errors in policy."],
    ["a missing Statement", JSON.stringify({ Version: "2012-10-17" }), "Missing required field Statement"],
    ["an empty Statement array", policy([]), "Syntax errors in policy."],
    ["a non-object statement", policy(["x"]), "Syntax errors in policy."],
    ["an unknown statement field", policy({ ...allowAll, Foo: "bar" }), "Unknown field Foo"],
    ["a missing Effect", policy({ Action: "s3:*", Resource: "*" }), "Missing required field Effect"],
    ["a misspelt Effect", policy({ ...allowAll, Effect: "Alow" }), "Syntax errors in policy."],
    ["a wrongly-cased Effect", policy({ ...allowAll, Effect: "allow" }), "The policy failed legacy parsing"],
    [
      "Action and NotAction together",
      policy({ ...allowAll, NotAction: "s3:Get*" }),
      "Syntax errors in policy.",
    ],
    [
      "Resource and NotResource together",
      policy({ ...allowAll, NotResource: "*" }),
      "Syntax errors in policy.",
    ],
    ["a non-string action", policy({ ...allowAll, Action: [1] }), "Syntax errors in policy."],
    ["no actions", policy({ Effect: "Allow", Resource: "*" }), "Policy statement must contain actions."],
    ["an empty action list", policy({ ...allowAll, Action: [] }), "Policy statement must contain actions."],
    ["no resources", policy({ Effect: "Allow", Action: "s3:*" }), "Policy statement must contain resources."],
    [
      "an empty resource list",
      policy({ ...allowAll, Resource: [] }),
      "Policy statement must contain resources.",
    ],
    [
      "an action without a vendor",
      policy({ ...allowAll, Action: "GetObject" }),
      "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    ],
    [
      "an action with two colons",
      policy({ ...allowAll, Action: "s3:Get:Object" }),
      "Actions/Condition can contain only one colon.",
    ],
    ["an invalid vendor", policy({ ...allowAll, Action: "s 3:GetObject" }), "Vendor s 3 is not valid"],
    [
      "a resource that is not an ARN",
      policy({ ...allowAll, Resource: "my-bucket" }),
      'Resource my-bucket must be in ARN format or "*".',
    ],
    [
      "duplicate Sids",
      policy([
        { ...allowAll, Sid: "A" },
        { ...allowAll, Sid: "A" },
      ]),
      "Statement IDs (SID) in a single policy must be unique.",
    ],
    ["a non-string Sid", policy({ ...allowAll, Sid: 1 }), "Syntax errors in policy."],
    ["a non-object Condition", policy({ ...allowAll, Condition: "x" }), "Syntax errors in policy."],
    [
      "an unknown condition operator",
      policy({ ...allowAll, Condition: { StringMaybe: { k: "v" } } }),
      "Syntax errors in policy.",
    ],
    [
      "a nested condition value",
      policy({ ...allowAll, Condition: { StringEquals: { k: { a: 1 } } } }),
      "Syntax errors in policy.",
    ],
    [
      "a Principal in an identity policy",
      policy({ ...allowAll, Principal: { AWS: "123456789012" } }),
      "Policy document should not specify a principal.",
    ],
    [
      "a NotPrincipal in an identity policy",
      policy({ ...allowAll, NotPrincipal: "*" }),
      "Policy document should not specify a principal.",
    ],
  ])("rejects %s", (_name, json, message) => {
    expect(errorOf(json)).toBe(message);
  });

  it("rejects a Principal in a session policy", () => {
    expect(errorOf(policy({ ...allowAll, Principal: "*" }), "session")).toBe(
      "Policy document should not specify a principal.",
    );
  });

  it("requires a Principal in a trust policy", () => {
    expect(errorOf(policy({ Effect: "Allow", Action: "sts:AssumeRole" }), "trust")).toBe(
      "Missing required field Principal",
    );
  });

  it("prohibits Resource and NotResource in a trust policy", () => {
    const base = { Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" };
    expect(errorOf(policy({ ...base, Resource: "*" }), "trust")).toBe("Has prohibited field Resource");
    expect(errorOf(policy({ ...base, NotResource: "*" }), "trust")).toBe("Has prohibited field NotResource");
  });

  it("rejects malformed principals", () => {
    const base = { Effect: "Allow", Action: "sts:AssumeRole" };
    expect(errorOf(policy({ ...base, Principal: { AWS: "bob" } }), "trust")).toBe(
      'Invalid principal in policy: "AWS":"bob"',
    );
    expect(errorOf(policy({ ...base, Principal: { Human: "x" } }), "trust")).toBe(
      'Invalid principal in policy: "Human":"x"',
    );
    expect(errorOf(policy({ ...base, Principal: "bob" }), "trust")).toBe(
      'Invalid principal in policy: "Principal":"bob"',
    );
  });

  it("throws MalformedPolicyError carrying IAM's error code", () => {
    expect(() => parsePolicyDocument("{")).toThrow(MalformedPolicyError);
    try {
      parsePolicyDocument("{");
    } catch (error) {
      expect(error).toBeInstanceOf(MalformedPolicyError);
      expect((error as MalformedPolicyError).code).toBe("MalformedPolicyDocument");
      expect((error as MalformedPolicyError).name).toBe("MalformedPolicyError");
    }
  });
});

describe("validatePolicyDocument", () => {
  it("validates an already-decoded value", () => {
    expect(validatePolicyDocument({ Statement: [allowAll] })).toEqual({ Statement: [allowAll] });
    expect(() => validatePolicyDocument(null)).toThrow("Syntax errors in policy.");
  });
});
