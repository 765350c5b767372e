import { arnAccount } from "./arn.js";
import { createRequestContext, type RequestContext } from "./context.js";
import { policyTypeNoun } from "./labels.js";
import { principalAccount } from "./principal.js";
import { type AppliedPrincipal, documentUsesVariables, statementApplies, statementsOf } from "./statement.js";
import type { AccessRequest, Decision, DecisionReason, NamedPolicy, PolicySet, PolicyType } from "./types.js";

interface Hit {
  reason: DecisionReason;
  principal: AppliedPrincipal;
}

interface Scan {
  deny: Hit | undefined;
  allows: Hit[];
}

function hitReason(
  type: PolicyType,
  policy: NamedPolicy,
  index: number,
  sid: string | undefined,
): DecisionReason {
  const reason: DecisionReason = { policyType: type, policyName: policy.name, statementIndex: index };
  if (sid !== undefined) reason.sid = sid;
  return reason;
}

function scan(
  type: PolicyType,
  policies: readonly NamedPolicy[],
  request: AccessRequest,
  context: RequestContext,
  callerHasBoundary: boolean,
): Scan {
  const result: Scan = { deny: undefined, allows: [] };
  for (const policy of policies) {
    const variables = documentUsesVariables(policy.document);
    for (const [index, statement] of statementsOf(policy.document).entries()) {
      const principal = statementApplies(statement, request, context, {
        variables,
        checkPrincipal: type === "resource",
        requireResource: true,
        callerHasBoundary,
      });
      if (principal === undefined) continue;
      const hit = { reason: hitReason(type, policy, index, statement.Sid), principal };
      if (statement.Effect === "Deny") result.deny ??= hit;
      else result.allows.push(hit);
    }
  }
  return result;
}

function describeStatement(reason: DecisionReason): string {
  const sid = reason.sid === undefined ? "" : ` (Sid "${reason.sid}")`;
  return `statement ${reason.statementIndex ?? 0}${sid} of ${policyTypeNoun(reason.policyType)} "${reason.policyName ?? ""}"`;
}

function allow(hit: Hit): Decision {
  return {
    allowed: true,
    kind: "allow",
    reason: hit.reason,
    explanation: `Allowed by ${describeStatement(hit.reason)}.`,
  };
}

function explicitDeny(hit: Hit): Decision {
  return {
    allowed: false,
    kind: "explicit-deny",
    reason: hit.reason,
    explanation: `Explicitly denied by ${describeStatement(hit.reason)}.`,
  };
}

function implicitDeny(type: PolicyType, request: AccessRequest): Decision {
  return {
    allowed: false,
    kind: "implicit-deny",
    reason: { policyType: type },
    explanation: `Implicitly denied: no ${policyTypeNoun(type)} allows the ${request.action} action on ${request.resource}.`,
  };
}

// The sandbox must allow or deny exactly as AWS's documented logic would, and say which policy decided.
export function evaluateRequest(request: AccessRequest, policies: PolicySet): Decision {
  const context = createRequestContext(request.context);
  const sessionPolicies = policies.session ?? [];
  const boundaryPolicies = policies.boundary === undefined ? [] : [policies.boundary];
  const resourcePolicies = policies.resource ?? [];
  const hasBoundary = boundaryPolicies.length > 0;

  const identity = scan("identity", policies.identity, request, context, hasBoundary);
  const session = scan("session", sessionPolicies, request, context, hasBoundary);
  const boundary = scan("boundary", boundaryPolicies, request, context, hasBoundary);
  const resource = scan("resource", resourcePolicies, request, context, hasBoundary);

  // 1. An explicit deny in any policy wins.
  const deny = identity.deny ?? session.deny ?? boundary.deny ?? resource.deny;
  if (deny !== undefined) return explicitDeny(deny);

  // 2. Session policies and the permissions boundary can only limit what is otherwise allowed.
  const sessionOk = sessionPolicies.length === 0 || session.allows.length > 0;
  const boundaryOk = !hasBoundary || boundary.allows.length > 0;
  const identityAllow = identity.allows[0];

  const callerAccount = principalAccount(request.principalArn);
  const resourceAccount = request.resourceAccountId ?? arnAccount(request.resource) ?? callerAccount;
  const sameAccount = callerAccount === undefined || callerAccount === resourceAccount;

  if (sameAccount || resourcePolicies.length === 0) {
    // Same account (IAM docs, "Policy evaluation logic" and "Session policies"): a resource-based
    // policy naming the user or session ARN itself is limited by no implicit deny; one naming every
    // principal ("*", or NotPrincipal) is not limited by the boundary but, not naming the session, is
    // limited by session policies; one naming the role is limited by both; one naming only the
    // account delegates to identity-based policies and grants nothing by itself.
    const direct = resource.allows.find((h) => h.principal === "leaf");
    if (direct !== undefined) return allow(direct);
    const everyone = resource.allows.find(
      (h) => h.principal === "wildcard" || h.principal === "not-principal",
    );
    const viaRole = resource.allows.find((h) => h.principal === "role");
    if (everyone !== undefined && sessionOk) return allow(everyone);
    const granted = identityAllow ?? viaRole;
    if (granted === undefined) return implicitDeny(everyone === undefined ? "identity" : "session", request);
    if (!sessionOk) return implicitDeny("session", request);
    if (!boundaryOk) return implicitDeny("boundary", request);
    return allow(granted);
  }

  // 3. Cross-account: both the caller's side and the resource-based policy must allow.
  if (identityAllow === undefined) return implicitDeny("identity", request);
  if (!sessionOk) return implicitDeny("session", request);
  if (!boundaryOk) return implicitDeny("boundary", request);
  const resourceAllow = resource.allows[0];
  if (resourceAllow === undefined) return implicitDeny("resource", request);
  return allow(identityAllow);
}
