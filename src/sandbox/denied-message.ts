import { type Decision, formatAccessDeniedMessage } from "../iam/index.js";
import type { CallerIdentity } from "./principal.js";
import { effectivePolicies } from "./propagation.js";
import type { SandboxState } from "./state.js";

/** The name AssumeRole gives the inline session policy (Policy); it has no ARN. */
export const INLINE_SESSION_POLICY_NAME = "session policy";

/** How IAM words its AccessDenied messages where they differ from the sandbox's default. */
export interface DeniedMessageStyle {
  /** The resource as the message names it when not by its ARN: IAM writes "role deployer". */
  resourceLabel?: string;
  /** After an explicit deny, name the policy as AWS does: a managed policy's ARN, an inline one not at all. */
  policyArns?: boolean;
}

// The AccessDenied message for a denied call. By default the sandbox's: the resource's ARN and, after
// an explicit deny, the denying policy's name (a debugging aid). With a style, AWS's own: IAM names a
// role "role NAME" (as in "not authorized to perform: iam:GetRole on resource: role XPTO with an
// explicit deny in an identity-based policy", github.com/terraform-aws-modules/terraform-aws-eks/issues/2517;
// "iam:AttachRolePolicy on resource: role cluster-RoleHeadNode-…", github.com/aws-samples/aws-hpc-tutorials/pull/175),
// and AWS appends the denying policy's ARN, same account only ("Enhanced access denied error messages
// with policy ARNs", AWS Security Blog, aws.amazon.com/blogs/security/enhanced-access-denied-error-messages-with-policy-arns),
// which an inline policy does not have: AWS reports those anonymously (github.com/localstack/localstack-docs/pull/798).
export function deniedMessage(
  state: SandboxState,
  caller: CallerIdentity,
  request: { action: string; resource: string; now: number },
  decision: Decision,
  style: DeniedMessageStyle = {},
): string {
  const { action } = request;
  const shown = style.resourceLabel ?? request.resource;
  if (style.policyArns !== true) return formatAccessDeniedMessage(caller.arn, action, shown, decision);
  const head = formatAccessDeniedMessage(caller.arn, action, shown, decision, { includePolicyName: false });
  if (decision.kind !== "explicit-deny") return head;
  const arn = denyingPolicyArn(state, caller, decision, request.now);
  return arn === undefined ? head : `${head}: ${arn}`;
}

// The ARN of the managed policy that denied, or undefined for an inline one. The evaluator names the
// policy; inline policies come first in its order, so an inline one of that name is the one.
function denyingPolicyArn(
  state: SandboxState,
  caller: CallerIdentity,
  decision: Decision,
  now: number,
): string | undefined {
  const { policyType, policyName } = decision.reason;
  const { record } = caller;
  if (policyName === undefined) return undefined;
  if (policyType === "identity") {
    const view = effectivePolicies(record.kind === "user-key" ? record.user : record.role, now);
    if (view.inline.has(policyName)) return undefined;
    return view.managed.find((arn) => state.policies.get(arn)?.name === policyName);
  }
  if (record.kind !== "session") return undefined;
  if (policyType === "boundary") return record.role.boundary;
  if (policyType !== "session" || policyName === INLINE_SESSION_POLICY_NAME) return undefined;
  for (const policy of state.policies.values()) if (policy.name === policyName) return policy.arn;
  return undefined;
}
