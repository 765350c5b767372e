import { describe, expect, it } from "vitest";
import { evaluateRequest } from "../../src/iam/evaluate.js";
import type { AccessRequest, NamedPolicy, PolicyDocument, Statement } from "../../src/iam/types.js";

const ACCOUNT = "123456789012";
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-deploy-x`;
const USER = `arn:aws:iam::${ACCOUNT}:user/alice`;

function doc(...statements: Statement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

function named(name: string, ...statements: Statement[]): NamedPolicy {
  return { name, document: doc(...statements) };
}

function request(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    action: "s3:PutObject",
    resource: "arn:aws:s3:::artifacts/key",
    principalArn: SESSION,
    context: {},
    ...overrides,
  };
}

const allowS3 = named("deployer-s3", { Effect: "Allow", Action: "s3:*", Resource: "*" });

describe("revocation by an inline deny on aws:userid", () => {
  const revoke = named("taskaccess-revoke-session-a", {
    Effect: "Deny",
    Action: "*",
    Resource: "*",
    Condition: { StringEquals: { "aws:userid": "AROAEXAMPLEID:session-a" } },
  });
  const policies = { identity: [allowS3, revoke] };

  it("denies the revoked session explicitly, naming the revoking policy", () => {
    const decision = evaluateRequest(
      request({ context: { "aws:userid": "AROAEXAMPLEID:session-a" } }),
      policies,
    );
    expect(decision).toEqual({
      allowed: false,
      kind: "explicit-deny",
      reason: { policyType: "identity", policyName: "taskaccess-revoke-session-a", statementIndex: 0 },
      explanation: 'Explicitly denied by statement 0 of identity-based policy "taskaccess-revoke-session-a".',
    });
  });

  it("still allows another session of the same role", () => {
    const decision = evaluateRequest(
      request({ context: { "aws:userid": "AROAEXAMPLEID:session-b" } }),
      policies,
    );
    expect(decision).toEqual({
      allowed: true,
      kind: "allow",
      reason: { policyType: "identity", policyName: "deployer-s3", statementIndex: 0 },
      explanation: 'Allowed by statement 0 of identity-based policy "deployer-s3".',
    });
  });

  it("matches the context key case-insensitively", () => {
    const decision = evaluateRequest(
      request({ context: { "AWS:UserId": "AROAEXAMPLEID:session-a" } }),
      policies,
    );
    expect(decision.kind).toBe("explicit-deny");
  });
});

describe("identity-based policies", () => {
  it("implicitly denies when nothing allows, blaming identity-based policies", () => {
    const decision = evaluateRequest(request({ action: "ec2:RunInstances", resource: "*" }), {
      identity: [allowS3],
    });
    expect(decision).toEqual({
      allowed: false,
      kind: "implicit-deny",
      reason: { policyType: "identity" },
      explanation: "Implicitly denied: no identity-based policy allows the ec2:RunInstances action on *.",
    });
  });

  it("lets an explicit deny win over an allow, and reports its Sid", () => {
    const deny = named("guard", { Sid: "NoDeletes", Effect: "Deny", Action: "s3:Delete*", Resource: "*" });
    const decision = evaluateRequest(request({ action: "s3:DeleteObject" }), { identity: [allowS3, deny] });
    expect(decision.kind).toBe("explicit-deny");
    expect(decision.reason).toEqual({
      policyType: "identity",
      policyName: "guard",
      statementIndex: 0,
      sid: "NoDeletes",
    });
    expect(decision.explanation).toBe(
      'Explicitly denied by statement 0 (Sid "NoDeletes") of identity-based policy "guard".',
    );
  });

  it("accepts a Statement given as a single object", () => {
    const single: NamedPolicy = {
      name: "single",
      document: {
        Version: "2012-10-17",
        Statement: { Effect: "Allow", Action: "s3:PutObject", Resource: "*" },
      },
    };
    expect(evaluateRequest(request(), { identity: [single] }).allowed).toBe(true);
  });

  it("honours NotAction and NotResource", () => {
    const allowAllButIam = named("p", {
      Effect: "Allow",
      NotAction: "iam:*",
      NotResource: "arn:aws:s3:::secret/*",
    });
    expect(evaluateRequest(request(), { identity: [allowAllButIam] }).allowed).toBe(true);
    expect(
      evaluateRequest(request({ resource: "arn:aws:s3:::secret/k" }), { identity: [allowAllButIam] }).allowed,
    ).toBe(false);
    expect(
      evaluateRequest(request({ action: "iam:CreateUser", resource: "*" }), { identity: [allowAllButIam] })
        .allowed,
    ).toBe(false);
  });

  it("resolves ${aws:username} in resources only for Version 2012-10-17", () => {
    const statement: Statement = {
      Effect: "Allow",
      Action: "s3:*",
      Resource: "arn:aws:s3:::home/${aws:username}/*",
    };
    const req = request({
      principalArn: USER,
      resource: "arn:aws:s3:::home/alice/x",
      context: { "aws:username": "alice" },
    });
    expect(evaluateRequest(req, { identity: [{ name: "new", document: doc(statement) }] }).allowed).toBe(
      true,
    );
    const old: NamedPolicy = { name: "old", document: { Version: "2008-10-17", Statement: [statement] } };
    expect(evaluateRequest(req, { identity: [old] }).allowed).toBe(false);
    const unversioned: NamedPolicy = { name: "none", document: { Statement: [statement] } };
    expect(evaluateRequest(req, { identity: [unversioned] }).allowed).toBe(false);
  });

  it("does not apply a statement whose variable has no value", () => {
    const deny = named("d", {
      Effect: "Deny",
      Action: "s3:*",
      NotResource: "arn:aws:s3:::home/${aws:username}/*",
    });
    // Without aws:username the NotResource cannot be evaluated, so the deny does not apply.
    expect(evaluateRequest(request(), { identity: [allowS3, deny] }).kind).toBe("allow");
    const withName = request({ context: { "aws:username": "alice" } });
    expect(evaluateRequest(withName, { identity: [allowS3, deny] }).kind).toBe("explicit-deny");
  });
});

describe("session policies", () => {
  const sessionOnlyGet = named("inline-session-policy", {
    Effect: "Allow",
    Action: "s3:GetObject",
    Resource: "arn:aws:s3:::artifacts/*",
  });

  it("implicitly denies what the role allows but no session policy allows", () => {
    const decision = evaluateRequest(request(), { identity: [allowS3], session: [sessionOnlyGet] });
    expect(decision).toEqual({
      allowed: false,
      kind: "implicit-deny",
      reason: { policyType: "session" },
      explanation:
        "Implicitly denied: no session policy allows the s3:PutObject action on arn:aws:s3:::artifacts/key.",
    });
  });

  it("allows what both the role and a session policy allow, reporting the identity statement", () => {
    const decision = evaluateRequest(request({ action: "s3:GetObject" }), {
      identity: [allowS3],
      session: [sessionOnlyGet],
    });
    expect(decision.kind).toBe("allow");
    expect(decision.reason).toEqual({ policyType: "identity", policyName: "deployer-s3", statementIndex: 0 });
  });

  it("ORs the inline session policy and managed session policies", () => {
    const managed = named("arn:aws:iam::aws:policy/PutOnly", {
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: "*",
    });
    expect(
      evaluateRequest(request(), { identity: [allowS3], session: [sessionOnlyGet, managed] }).allowed,
    ).toBe(true);
  });

  it("does not grant by itself", () => {
    const decision = evaluateRequest(request(), {
      identity: [],
      session: [named("s", { Effect: "Allow", Action: "s3:*", Resource: "*" })],
    });
    expect(decision.kind).toBe("implicit-deny");
    expect(decision.reason.policyType).toBe("identity");
  });

  it("reports an explicit deny in a session policy", () => {
    const deny = named("s", { Effect: "Deny", Action: "s3:PutObject", Resource: "*" });
    const decision = evaluateRequest(request(), { identity: [allowS3], session: [deny] });
    expect(decision.kind).toBe("explicit-deny");
    expect(decision.reason).toEqual({ policyType: "session", policyName: "s", statementIndex: 0 });
  });

  it("treats an empty session list as no session policies", () => {
    expect(evaluateRequest(request(), { identity: [allowS3], session: [] }).allowed).toBe(true);
  });
});

describe("permissions boundary", () => {
  const boundary = named("boundary", { Effect: "Allow", Action: "s3:Get*", Resource: "*" });

  it("implicitly denies what identity allows but the boundary does not", () => {
    const decision = evaluateRequest(request(), { identity: [allowS3], boundary });
    expect(decision.kind).toBe("implicit-deny");
    expect(decision.reason).toEqual({ policyType: "boundary" });
    expect(decision.explanation).toBe(
      "Implicitly denied: no permissions boundary allows the s3:PutObject action on arn:aws:s3:::artifacts/key.",
    );
  });

  it("allows what both allow", () => {
    expect(
      evaluateRequest(request({ action: "s3:GetObject" }), { identity: [allowS3], boundary }).allowed,
    ).toBe(true);
  });

  it("does not grant by itself", () => {
    const decision = evaluateRequest(request({ action: "s3:GetObject" }), { identity: [], boundary });
    expect(decision.reason.policyType).toBe("identity");
  });

  it("reports an explicit deny in the boundary", () => {
    const denying = named(
      "b",
      { Effect: "Allow", Action: "*", Resource: "*" },
      { Effect: "Deny", Action: "s3:Put*", Resource: "*" },
    );
    const decision = evaluateRequest(request(), { identity: [allowS3], boundary: denying });
    expect(decision.reason).toEqual({ policyType: "boundary", policyName: "b", statementIndex: 1 });
  });

  it("blames the session policy before the boundary when both are missing an allow", () => {
    const session = [named("s", { Effect: "Allow", Action: "ec2:*", Resource: "*" })];
    expect(evaluateRequest(request(), { identity: [allowS3], session, boundary }).reason.policyType).toBe(
      "session",
    );
  });
});

describe("resource-based policies", () => {
  const bucket = (principal: Statement["Principal"], effect: "Allow" | "Deny" = "Allow"): NamedPolicy =>
    named("bucket-policy", {
      Effect: effect,
      ...(principal === undefined ? {} : { Principal: principal }),
      Action: "s3:PutObject",
      Resource: "arn:aws:s3:::artifacts/*",
    });
  const noS3 = named("nothing", { Effect: "Allow", Action: "ec2:*", Resource: "*" });
  const session = [named("s", { Effect: "Allow", Action: "ec2:*", Resource: "*" })];
  const boundary = named("b", { Effect: "Allow", Action: "ec2:*", Resource: "*" });

  it("grants in the same account to a user named directly, despite identity and boundary", () => {
    const decision = evaluateRequest(request({ principalArn: USER }), {
      identity: [noS3],
      boundary,
      resource: [bucket({ AWS: USER })],
    });
    expect(decision.allowed).toBe(true);
    expect(decision.reason).toEqual({
      policyType: "resource",
      policyName: "bucket-policy",
      statementIndex: 0,
    });
  });

  it("grants to a session named directly, despite its session policy", () => {
    const decision = evaluateRequest(request(), {
      identity: [noS3],
      session,
      resource: [bucket({ AWS: SESSION })],
    });
    expect(decision.allowed).toBe(true);
  });

  it("limits a grant to the role ARN by the session policy and boundary, but not by identity", () => {
    const viaRole = [bucket({ AWS: `arn:aws:iam::${ACCOUNT}:role/deployer` })];
    expect(evaluateRequest(request(), { identity: [noS3], resource: viaRole }).allowed).toBe(true);
    expect(
      evaluateRequest(request(), { identity: [noS3], session, resource: viaRole }).reason.policyType,
    ).toBe("session");
    expect(
      evaluateRequest(request(), { identity: [noS3], boundary, resource: viaRole }).reason.policyType,
    ).toBe("boundary");
  });

  it("limits a grant to everyone (*) by session policies only", () => {
    const everyone = [bucket("*")];
    expect(evaluateRequest(request(), { identity: [noS3], boundary, resource: everyone }).allowed).toBe(true);
    expect(
      evaluateRequest(request(), { identity: [noS3], session, resource: everyone }).reason.policyType,
    ).toBe("session");
  });

  it("treats an account principal as delegation to identity-based policies", () => {
    const account = [bucket({ AWS: ACCOUNT })];
    expect(evaluateRequest(request(), { identity: [noS3], resource: account }).reason.policyType).toBe(
      "identity",
    );
    expect(evaluateRequest(request(), { identity: [allowS3], resource: account }).allowed).toBe(true);
  });

  it("lets an explicit deny in the resource policy win", () => {
    const decision = evaluateRequest(request(), {
      identity: [allowS3],
      resource: [bucket({ AWS: SESSION }, "Deny")],
    });
    expect(decision.kind).toBe("explicit-deny");
    expect(decision.reason.policyType).toBe("resource");
  });

  it("requires both sides across accounts", () => {
    const crossAccount = request({ resourceAccountId: "210987654321" });
    expect(
      evaluateRequest(crossAccount, { identity: [allowS3], resource: [bucket({ AWS: ACCOUNT })] }).allowed,
    ).toBe(true);
    expect(
      evaluateRequest(crossAccount, { identity: [allowS3], resource: [bucket({ AWS: "210987654321" })] })
        .reason,
    ).toEqual({ policyType: "resource" });
    expect(
      evaluateRequest(crossAccount, { identity: [noS3], resource: [bucket({ AWS: SESSION })] }).reason,
    ).toEqual({
      policyType: "identity",
    });
  });

  it("always applies a NotPrincipal Deny to a principal with a permissions boundary", () => {
    const notPrincipalDeny = named("bucket-policy", {
      Effect: "Deny",
      NotPrincipal: {
        AWS: [SESSION, `arn:aws:iam::${ACCOUNT}:role/deployer`, `arn:aws:iam::${ACCOUNT}:root`],
      },
      Action: "s3:*",
      Resource: "*",
    });
    const allowAll = named("b", { Effect: "Allow", Action: "*", Resource: "*" });
    expect(evaluateRequest(request(), { identity: [allowS3], resource: [notPrincipalDeny] }).allowed).toBe(
      true,
    );
    expect(
      evaluateRequest(request(), { identity: [allowS3], boundary: allowAll, resource: [notPrincipalDeny] })
        .kind,
    ).toBe("explicit-deny");
  });

  it("denies with NotPrincipal unless every identity of the caller is listed", () => {
    const deny = (listed: string[]) =>
      named("bucket-policy", {
        Effect: "Deny",
        NotPrincipal: { AWS: listed },
        Action: "s3:*",
        Resource: "*",
      });
    const role = `arn:aws:iam::${ACCOUNT}:role/deployer`;
    const root = `arn:aws:iam::${ACCOUNT}:root`;
    expect(
      evaluateRequest(request(), { identity: [allowS3], resource: [deny([SESSION, role, root])] }).allowed,
    ).toBe(true);
    expect(
      evaluateRequest(request(), { identity: [allowS3], resource: [deny([SESSION, role])] }).allowed,
    ).toBe(false);
    expect(evaluateRequest(request(), { identity: [allowS3], resource: [deny([role, root])] }).allowed).toBe(
      false,
    );
  });
});
