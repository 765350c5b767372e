import { type ContextValue, type Decision, evaluateRequest } from "../iam/index.js";
import { type DeniedMessageStyle, deniedMessage } from "./denied-message.js";
import { SandboxError } from "./errors.js";
import type { HandlerContext } from "./handler-context.js";
import { type CallerIdentity, policiesFor, type RequestFacts, requestContext } from "./principal.js";
import type { SandboxState } from "./state.js";

export interface AuthorizationResult {
  decision: Decision;
  message?: string;
}

// Evaluates one action on one resource for a caller, as IAM would, and keeps the decisive reason.
export function authorizeCall(
  state: SandboxState,
  caller: CallerIdentity,
  action: string,
  resource: string,
  facts: RequestFacts,
  extra: Record<string, ContextValue> = {},
  style: DeniedMessageStyle = {},
): AuthorizationResult {
  const decision = evaluateRequest(
    {
      action,
      resource,
      principalArn: caller.arn,
      context: { ...requestContext(caller, facts), ...extra },
    },
    policiesFor(state, caller, facts.now),
  );
  if (decision.allowed) return { decision };
  const request = { action, resource, now: facts.now };
  return { decision, message: deniedMessage(state, caller, request, decision, style) };
}

// Authorizes a handler's call, records the decision in the journal entry, and throws AWS's
// AccessDenied when it is denied.
export function requireAllowed(
  ctx: HandlerContext,
  action: string,
  resource: string,
  extra: Record<string, ContextValue> = {},
  style: DeniedMessageStyle = {},
): void {
  const result = authorizeCall(ctx.state, ctx.caller, action, resource, ctx.facts, extra, style);
  ctx.note({
    action,
    resource,
    decision: result.decision.allowed ? "allow" : "deny",
    reason: result.decision.explanation,
  });
  if (!result.decision.allowed) throw accessDenied(result.message ?? "Access Denied");
}

// The AccessDenied error each service returns for a denied call.
export function accessDenied(message: string, code = "AccessDenied"): SandboxError {
  return new SandboxError(code, 403, message);
}
