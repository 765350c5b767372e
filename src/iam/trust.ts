import { createRequestContext } from "./context.js";
import { principalAccount } from "./principal.js";
import { type AppliedPrincipal, documentUsesVariables, statementApplies, statementsOf } from "./statement.js";
import type { ContextValue, Decision, DecisionReason, PolicyDocument } from "./types.js";

export type TrustAction =
  | "sts:AssumeRole"
  | "sts:TagSession"
  | "sts:SetSourceIdentity"
  | "sts:AssumeRoleWithWebIdentity"
  | "sts:AssumeRoleWithSAML";

export interface TrustRequest {
  principalArn: string;
  // The account that owns the role whose trust policy this is.
  accountId: string;
  action: TrustAction;
  context: Record<string, ContextValue>;
}

export interface TrustDecision extends Decision {
  // True when the trust policy alone is not enough: the caller is in another account, or the trust
  // policy only named the caller's account, so the caller's identity policy must also allow the action.
  requiresIdentityPolicyAllow: boolean;
}

interface TrustHit {
  reason: DecisionReason;
  principal: AppliedPrincipal;
}

const PREFERENCE: readonly AppliedPrincipal[] = ["leaf", "wildcard", "role", "not-principal", "account"];

// AssumeRole in the sandbox must succeed only when the role's trust policy names the caller.
export function evaluateTrustPolicy(
  document: PolicyDocument,
  request: TrustRequest,
  options: { policyName?: string } = {},
): TrustDecision {
  const context = createRequestContext(request.context);
  const policyName = options.policyName ?? "trust-policy";
  const target = { action: request.action, resource: "", principalArn: request.principalArn };
  const variables = documentUsesVariables(document);
  let deny: TrustHit | undefined;
  const allows: TrustHit[] = [];
  for (const [index, statement] of statementsOf(document).entries()) {
    const principal = statementApplies(statement, target, context, {
      variables,
      checkPrincipal: true,
      requireResource: false,
    });
    if (principal === undefined) continue;
    const reason: DecisionReason = { policyType: "resource", policyName, statementIndex: index };
    if (statement.Sid !== undefined) reason.sid = statement.Sid;
    if (statement.Effect === "Deny") deny ??= { reason, principal };
    else allows.push({ reason, principal });
  }
  const crossAccount = principalAccount(request.principalArn) !== request.accountId;
  if (deny !== undefined) {
    return {
      allowed: false,
      kind: "explicit-deny",
      reason: deny.reason,
      explanation: `Explicitly denied by statement ${deny.reason.statementIndex} of the trust policy "${policyName}".`,
      requiresIdentityPolicyAllow: crossAccount,
    };
  }
  const best = PREFERENCE.flatMap((kind) => allows.filter((hit) => hit.principal === kind))[0];
  if (best === undefined) {
    return {
      allowed: false,
      kind: "implicit-deny",
      reason: { policyType: "resource", policyName },
      explanation: `Implicitly denied: the trust policy "${policyName}" does not allow ${request.principalArn} to perform ${request.action}.`,
      requiresIdentityPolicyAllow: crossAccount,
    };
  }
  return {
    allowed: true,
    kind: "allow",
    reason: best.reason,
    explanation: `Allowed by statement ${best.reason.statementIndex} of the trust policy "${policyName}".`,
    requiresIdentityPolicyAllow: crossAccount || best.principal === "account",
  };
}
