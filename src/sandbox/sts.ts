import { deflateRawSync } from "node:zlib";
import {
  type ContextValue,
  evaluateTrustPolicy,
  MalformedPolicyError,
  type NamedPolicy,
  parsePolicyDocument,
  validatePolicyDocument,
} from "../iam/index.js";
import { accessDenied, authorizeCall } from "./authorize.js";
import { checkParams, checkValue, MAX_POLICY_ARNS, MAX_TAGS, SHAPES } from "./constraints.js";
import { INLINE_SESSION_POLICY_NAME } from "./denied-message.js";
import { SandboxError } from "./errors.js";
import type { HandlerContext } from "./handler-context.js";
import { makeId, makeSecret, makeSessionToken } from "./ids.js";
import { checkMfa } from "./mfa.js";
import { requestContext } from "./principal.js";
import { type QueryParams, queryResponse, readMemberStructs, readMembers } from "./query-protocol.js";
import type { SandboxResponse } from "./request.js";
import type { RoleEntity, SessionKey } from "./state.js";

export const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";
/** AssumeRole's default DurationSeconds (STS API Reference). */
const DEFAULT_DURATION_SECONDS = 3600;
/** Role chaining limits a session to one hour (IAM User Guide, "Role chaining"). */
const CHAINED_MAX_SECONDS = 3600;
/**
 * STS packs the session policy, policy ARNs and tags into a binary form with its own, undocumented
 * limit, reported as PackedPolicySize (a percentage). The sandbox models it as the deflated size
 * against this budget, so that a large, high-entropy policy or many tags fail as they do on AWS.
 */
export const PACKED_POLICY_BUDGET_BYTES = 1536;

// Dispatches one STS Query action.
export function handleSts(ctx: HandlerContext, action: string, params: QueryParams): SandboxResponse {
  switch (action) {
    case "GetCallerIdentity":
      return getCallerIdentity(ctx);
    case "AssumeRole":
      return assumeRole(ctx, params);
    default:
      throw new SandboxError(
        "InvalidAction",
        400,
        `Could not find operation ${action} for version 2011-06-15`,
      );
  }
}

// Needs no permission: AWS answers it even under an explicit deny (STS API Reference).
function getCallerIdentity(ctx: HandlerContext): SandboxResponse {
  ctx.note({
    action: "sts:GetCallerIdentity",
    resource: "*",
    decision: "allow",
    reason: "needs no permission",
  });
  return queryResponse(
    STS_NAMESPACE,
    "GetCallerIdentity",
    { UserId: ctx.caller.userId, Account: ctx.caller.account, Arn: ctx.caller.arn },
    ctx.request.requestId,
  );
}

function assumeRole(ctx: HandlerContext, params: QueryParams): SandboxResponse {
  const policyArns = readMembers(params, "PolicyArns", "arn");
  const tags = readMemberStructs(params, "Tags", ["Key", "Value"]);
  const transitive = readMembers(params, "TransitiveTagKeys");
  const listProblems = [
    ...(policyArns.length > MAX_POLICY_ARNS
      ? [
          {
            value: `[${policyArns.length} items]`,
            field: "policyArns",
            constraint: `have length less than or equal to ${MAX_POLICY_ARNS}`,
          },
        ]
      : []),
    ...(tags.length > MAX_TAGS
      ? [
          {
            value: `[${tags.length} items]`,
            field: "tags",
            constraint: `have length less than or equal to ${MAX_TAGS}`,
          },
        ]
      : []),
    ...(transitive.length > MAX_TAGS
      ? [
          {
            value: `[${transitive.length} items]`,
            field: "transitiveTagKeys",
            constraint: `have length less than or equal to ${MAX_TAGS}`,
          },
        ]
      : []),
    ...tags.flatMap((tag, i) => [
      ...checkValue(`tags.${i + 1}.member.key`, tag.Key, SHAPES.tagKeyType, true),
      ...checkValue(`tags.${i + 1}.member.value`, tag.Value, SHAPES.tagValueType, true),
    ]),
    ...policyArns.flatMap((arn, i) => checkValue(`policyArns.${i + 1}.member.arn`, arn, SHAPES.arnType)),
  ];
  checkParams(
    params,
    [
      { name: "RoleArn", constraint: SHAPES.arnType, required: true },
      { name: "RoleSessionName", constraint: SHAPES.roleSessionNameType, required: true },
      { name: "Policy", constraint: SHAPES.sessionPolicyDocumentType },
      { name: "DurationSeconds", constraint: SHAPES.roleDurationSecondsType },
      { name: "ExternalId", constraint: SHAPES.externalIdType },
      { name: "SerialNumber", constraint: SHAPES.serialNumberType },
      { name: "TokenCode", constraint: SHAPES.tokenCodeType },
      { name: "SourceIdentity", constraint: SHAPES.sourceIdentityType },
    ],
    listProblems,
  );
  const roleArn = params.RoleArn ?? "";
  const sessionName = params.RoleSessionName ?? "";
  const sourceIdentity = params.SourceIdentity;
  if (sourceIdentity?.toLowerCase().startsWith("aws:")) {
    throw new SandboxError(
      "ValidationError",
      400,
      "SourceIdentity cannot start with the reserved prefix 'aws:'",
    );
  }
  const role = findRoleByArn(ctx, roleArn);
  // The MFA check comes first: its outcome is part of the context the trust policy is evaluated in.
  const mfaAuthenticatedAt = checkMfa(ctx, roleArn, params.SerialNumber, params.TokenCode);
  const extra = assumeRoleContext(params, tags, transitive, mfaAuthenticatedAt);
  authorizeAssume(ctx, roleArn, role, "sts:AssumeRole", extra);
  if (tags.length > 0 || transitive.length > 0) authorizeAssume(ctx, roleArn, role, "sts:TagSession", extra);
  if (sourceIdentity !== undefined) authorizeAssume(ctx, roleArn, role, "sts:SetSourceIdentity", extra);
  if (!role) throw new Error("unreachable: authorizeAssume refuses a missing role");

  const caller = ctx.caller.record;
  const chained = caller.kind === "session";
  const duration =
    params.DurationSeconds === undefined ? DEFAULT_DURATION_SECONDS : Number(params.DurationSeconds);
  if (chained && duration > CHAINED_MAX_SECONDS) {
    throw new SandboxError(
      "ValidationError",
      400,
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
  }
  if (duration > role.maxSessionDuration) {
    throw new SandboxError(
      "ValidationError",
      400,
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
  }
  if (
    chained &&
    caller.sourceIdentity !== undefined &&
    sourceIdentity !== undefined &&
    sourceIdentity !== caller.sourceIdentity
  ) {
    throw new SandboxError(
      "AccessDenied",
      403,
      "The source identity cannot be changed once set in a role session.",
    );
  }
  const sessionPolicies = readSessionPolicies(ctx, params.Policy, policyArns);
  const packedPercent = packedPolicyPercent(params.Policy, policyArns, tags);
  if (packedPercent > 100) {
    throw new SandboxError(
      "PackedPolicyTooLarge",
      400,
      `Packed policy consumes ${packedPercent}% of allotted space, please use smaller policy.`,
    );
  }
  // STS reports Expiration in whole seconds (2026-11-28T18:00:00Z, as in the STS API Reference's
  // AssumeRole example), so the session starts on the second and ends exactly when it says.
  const now = Math.floor(ctx.clock.now() / 1000) * 1000;
  // Transitive tags from the calling session carry into a chained session (IAM User Guide, "Chaining roles with session tags").
  const inherited: Record<string, string> = {};
  if (chained)
    for (const key of caller.transitiveTagKeys)
      if (caller.tags[key] !== undefined) inherited[key] = caller.tags[key];
  const session: SessionKey = {
    kind: "session",
    accessKeyId: makeId(ctx.state.random, "ASIA"),
    secretAccessKey: makeSecret(ctx.state.random),
    sessionToken: makeSessionToken(ctx.state.random),
    role,
    sessionName,
    assumedRoleId: `${role.roleId}:${sessionName}`,
    // The assumed-role ARN drops the role's path (IAM User Guide, "IAM identifiers").
    assumedRoleArn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`,
    expiration: now + duration * 1000,
    issuedAt: now,
    sessionPolicies,
    hasSessionPolicies: params.Policy !== undefined || policyArns.length > 0,
    tags: { ...inherited, ...Object.fromEntries(tags.map((tag) => [tag.Key ?? "", tag.Value ?? ""])) },
    transitiveTagKeys: [...new Set([...(chained ? caller.transitiveTagKeys : []), ...transitive])],
    sourceIdentity: sourceIdentity ?? (chained ? caller.sourceIdentity : undefined),
    chained,
    ...(mfaAuthenticatedAt === undefined ? {} : { mfaAuthenticatedAt }),
  };
  ctx.state.credentials.set(session.accessKeyId, session);
  return queryResponse(
    STS_NAMESPACE,
    "AssumeRole",
    {
      ...(session.sourceIdentity ? { SourceIdentity: session.sourceIdentity } : {}),
      AssumedRoleUser: { AssumedRoleId: session.assumedRoleId, Arn: session.assumedRoleArn },
      Credentials: {
        AccessKeyId: session.accessKeyId,
        SecretAccessKey: session.secretAccessKey,
        SessionToken: session.sessionToken,
        Expiration: isoSeconds(session.expiration),
      },
      // Only a request that passes session policies or tags gets a PackedPolicySize: it is "the packed
      // size of the session policies and session tags combined passed in the request" (botocore
      // sts/2011-06-15/service-2.json, AssumeRoleResponse.PackedPolicySize, an optional member).
      ...(params.Policy !== undefined || policyArns.length > 0 || tags.length > 0
        ? { PackedPolicySize: packedPercent }
        : {}),
    },
    ctx.request.requestId,
  );
}

function findRoleByArn(ctx: HandlerContext, arn: string): RoleEntity | undefined {
  const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
  if (!match) return undefined;
  return ctx.state.findRole(match[1] ?? "", match[2] ?? "");
}

// The request context of an AssumeRole call, for the trust policy and the caller's own policies alike:
// sts:ExternalId, sts:RoleSessionName, sts:SourceIdentity, and for session tags aws:RequestTag/<key>,
// aws:TagKeys and sts:TransitiveTagKeys (IAM User Guide, "Passing session tags in AWS STS": a policy
// controls tagging with these keys on sts:TagSession). A call whose MFA code was accepted has
// aws:MultiFactorAuthPresent true and aws:MultiFactorAuthAge 0: that is how a trust policy requires
// MFA for AssumeRole (IAM User Guide, "Secure API access with MFA": the role's trust policy tests
// aws:MultiFactorAuthPresent, and the user calls AssumeRole with SerialNumber and TokenCode).
function assumeRoleContext(
  params: QueryParams,
  tags: Array<Record<string, string>>,
  transitive: string[],
  mfaAuthenticatedAt: number | undefined,
): Record<string, ContextValue> {
  const extra: Record<string, ContextValue> = {};
  if (mfaAuthenticatedAt !== undefined) {
    extra["aws:MultiFactorAuthPresent"] = "true";
    extra["aws:MultiFactorAuthAge"] = "0";
  }
  if (params.ExternalId !== undefined) extra["sts:ExternalId"] = params.ExternalId;
  if (params.SourceIdentity !== undefined) extra["sts:SourceIdentity"] = params.SourceIdentity;
  if (params.RoleSessionName !== undefined) extra["sts:RoleSessionName"] = params.RoleSessionName;
  if (tags.length > 0) {
    for (const tag of tags) extra[`aws:RequestTag/${tag.Key ?? ""}`] = tag.Value ?? "";
    extra["aws:TagKeys"] = tags.map((tag) => tag.Key ?? "");
  }
  if (transitive.length > 0) extra["sts:TransitiveTagKeys"] = transitive;
  return extra;
}

// AssumeRole needs both sides: the role's trust policy must trust the caller, and (unless the trust
// policy names the caller itself) the caller's identity policy must allow the action on the role.
// An explicit deny in the caller's own policies (identity, session or boundary) refuses it in every
// case, since an explicit deny in any applicable policy overrides any allow (IAM User Guide, "Policy
// evaluation logic").
function authorizeAssume(
  ctx: HandlerContext,
  roleArn: string,
  role: RoleEntity | undefined,
  action: "sts:AssumeRole" | "sts:TagSession" | "sts:SetSourceIdentity",
  extra: Record<string, ContextValue>,
): void {
  const identity = authorizeCall(ctx.state, ctx.caller, action, roleArn, ctx.facts, extra);
  if (!role) {
    ctx.note({ action, resource: roleArn, decision: "deny", reason: "no such role" });
    throw accessDenied(
      `User: ${ctx.caller.arn} is not authorized to perform: ${action} on resource: ${roleArn}`,
    );
  }
  const context = { ...requestContext(ctx.caller, ctx.facts), ...extra };
  const requestedSourceIdentity = extra["sts:SourceIdentity"];
  if (requestedSourceIdentity !== undefined) context["aws:SourceIdentity"] = requestedSourceIdentity;
  const trust = evaluateTrustPolicy(
    validatePolicyDocument(JSON.parse(role.trust) as unknown, { kind: "trust" }),
    {
      principalArn: ctx.caller.arn,
      accountId: role.account,
      action,
      context,
    },
  );
  const plain = `User: ${ctx.caller.arn} is not authorized to perform: ${action} on resource: ${roleArn}`;
  if (identity.decision.kind === "explicit-deny") {
    ctx.note({ action, resource: roleArn, decision: "deny", reason: identity.decision.explanation });
    throw accessDenied(identity.message ?? plain);
  }
  const identityNeeded = trust.requiresIdentityPolicyAllow || ctx.caller.account !== role.account;
  if (!trust.allowed || (identityNeeded && !identity.decision.allowed)) {
    const why = !trust.allowed
      ? `the trust policy of ${role.name}: ${trust.explanation}`
      : identity.decision.explanation;
    ctx.note({ action, resource: roleArn, decision: "deny", reason: why });
    throw accessDenied(plain);
  }
  ctx.note({ action, resource: roleArn, decision: "allow", reason: trust.explanation });
}

function readSessionPolicies(ctx: HandlerContext, policy: string | undefined, arns: string[]): NamedPolicy[] {
  const policies: NamedPolicy[] = [];
  if (policy !== undefined) {
    try {
      const document = parsePolicyDocument(policy, { kind: "session" });
      policies.push({ name: INLINE_SESSION_POLICY_NAME, document });
    } catch (error) {
      if (error instanceof MalformedPolicyError)
        throw new SandboxError("MalformedPolicyDocument", 400, error.message);
      throw error;
    }
  }
  for (const arn of arns) {
    const managed = ctx.state.policies.get(arn);
    if (!managed) {
      throw new SandboxError(
        "InvalidParameterValue",
        400,
        `The policy ${arn} does not exist or is not attachable.`,
      );
    }
    policies.push({
      name: managed.name,
      document: parsePolicyDocument(managed.document, { kind: "session" }),
    });
  }
  return policies;
}

// The sandbox's model of PackedPolicySize (see PACKED_POLICY_BUDGET_BYTES).
export function packedPolicyPercent(
  policy: string | undefined,
  arns: string[],
  tags: Array<Record<string, string>>,
): number {
  const packed = [policy ?? "", ...arns, ...tags.map((tag) => `${tag.Key}=${tag.Value}`)].join("\n");
  if (packed.length === 0) return 0;
  return Math.ceil((deflateRawSync(Buffer.from(packed, "latin1")).length / PACKED_POLICY_BUDGET_BYTES) * 100);
}

// An ISO 8601 time without milliseconds, as STS writes its timestamps.
function isoSeconds(time: number): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");
}
