// Public API of the IAM policy evaluator.
export { type AccessDeniedOptions, formatAccessDeniedMessage } from "./access-denied.js";
export { evaluateCondition, evaluateConditions, parseConditionOperator } from "./conditions.js";
export { createRequestContext, type RequestContext } from "./context.js";
export { evaluateRequest } from "./evaluate.js";
export { matchesAction, matchesResource, matchResource, type ResourceMatch } from "./match.js";
export {
  MalformedPolicyError,
  type ParsePolicyOptions,
  parsePolicyDocument,
  validatePolicyDocument,
} from "./parse-policy.js";
export { evaluateTrustPolicy, type TrustAction, type TrustDecision, type TrustRequest } from "./trust.js";
export type {
  AccessRequest,
  ConditionBlock,
  ConditionValue,
  ContextValue,
  Decision,
  DecisionKind,
  DecisionReason,
  Effect,
  NamedPolicy,
  PolicyDocument,
  PolicyKind,
  PolicySet,
  PolicyType,
  PolicyVersion,
  Principal,
  Statement,
  StringOrArray,
} from "./types.js";
