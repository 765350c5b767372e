import type { ContextValue } from "../iam/index.js";
import type { CredentialRecord, SandboxState } from "./state.js";

// Who is calling, as IAM sees them: the ARN that appears in messages and the request context keys.
export interface CallerIdentity {
  record: CredentialRecord;
  /** arn:aws:iam::A:user/N, or arn:aws:sts::A:assumed-role/R/S for a role session. */
  arn: string;
  account: string;
  /** aws:userid: AIDA… for a user, AROA…:session for a role session. */
  userId: string;
}

// Describes the caller behind a set of credentials.
export function callerIdentity(record: CredentialRecord): CallerIdentity {
  if (record.kind === "user-key") {
    return { record, arn: record.user.arn, account: record.user.account, userId: record.user.userId };
  }
  return { record, arn: record.assumedRoleArn, account: record.role.account, userId: record.assumedRoleId };
}

export interface RequestFacts {
  now: number;
  region: string;
  sourceIp: string;
}

// The global condition keys for a request (IAM User Guide, "AWS global condition context keys").
export function requestContext(caller: CallerIdentity, facts: RequestFacts): Record<string, ContextValue> {
  const context: Record<string, ContextValue> = {
    "aws:userid": caller.userId,
    "aws:PrincipalAccount": caller.account,
    "aws:CurrentTime": new Date(facts.now).toISOString().replace(/\.\d{3}Z$/, "Z"),
    "aws:EpochTime": String(Math.floor(facts.now / 1000)),
    "aws:RequestedRegion": facts.region,
    "aws:SecureTransport": "false",
    "aws:SourceIp": facts.sourceIp,
    "aws:ViaAWSService": "false",
  };
  const { record } = caller;
  if (record.kind === "user-key") {
    context["aws:username"] = record.user.name;
    context["aws:PrincipalArn"] = record.user.arn;
    context["aws:PrincipalType"] = "User";
    for (const [key, value] of Object.entries(record.user.tags)) context[`aws:PrincipalTag/${key}`] = value;
  } else {
    // For a role session aws:PrincipalArn is the role's ARN, not the session's.
    context["aws:PrincipalArn"] = record.role.arn;
    context["aws:PrincipalType"] = "AssumedRole";
    context["aws:TokenIssueTime"] = new Date(record.issuedAt).toISOString().replace(/\.\d{3}Z$/, "Z");
    // aws:MultiFactorAuthPresent is in the context only for temporary credentials, never for long-term
    // access keys (IAM User Guide, "AWS global condition context keys", aws:MultiFactorAuthPresent;
    // https://repost.aws/knowledge-center/mfa-iam-user-aws-cli: "The aws:MultiFactorAuthPresent key
    // doesn't exist in requests made using long-term credentials"): "true" for a session whose
    // AssumeRole passed an MFA code, else "false". aws:MultiFactorAuthAge, "the number of seconds
    // since the requesting principal was authorized using MFA", is present only when MFA was used
    // (same page, aws:MultiFactorAuthAge).
    const mfaAt = record.mfaAuthenticatedAt;
    context["aws:MultiFactorAuthPresent"] = mfaAt === undefined ? "false" : "true";
    if (mfaAt !== undefined) {
      context["aws:MultiFactorAuthAge"] = String(Math.max(0, Math.floor((facts.now - mfaAt) / 1000)));
    }
    if (record.sourceIdentity) context["aws:SourceIdentity"] = record.sourceIdentity;
    // Session tags override role tags with the same key.
    for (const [key, value] of Object.entries({ ...record.role.tags, ...record.tags })) {
      context[`aws:PrincipalTag/${key}`] = value;
    }
  }
  return context;
}

// The identity policies, session policies and boundary that govern a caller at `now` (changes to
// identity policies reach them after the propagation delay).
export function policiesFor(state: SandboxState, caller: CallerIdentity, now: number) {
  const { record } = caller;
  if (record.kind === "user-key") {
    return { identity: state.identityPolicies(record.user, now) };
  }
  const boundary = state.boundaryPolicy(record.role);
  return {
    identity: state.identityPolicies(record.role, now),
    ...(record.hasSessionPolicies ? { session: record.sessionPolicies } : {}),
    ...(boundary ? { boundary } : {}),
  };
}
