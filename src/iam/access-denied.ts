import { policyTypeNoun, policyTypeWithArticle } from "./labels.js";
import type { Decision } from "./types.js";

export interface AccessDeniedOptions {
  // S3 quotes the resource ARN in its messages; IAM and STS do not. Defaults to quoting for s3: actions.
  quoteResource?: boolean;
  // Append ": <policy name>" after an explicit deny, as AWS now appends the denying policy's ARN.
  includePolicyName?: boolean;
}

// Callers of the sandbox must see the same AccessDenied text AWS returns, so SDK users can debug it.
export function formatAccessDeniedMessage(
  principalArn: string,
  action: string,
  resource: string,
  decision: Decision,
  options: AccessDeniedOptions = {},
): string {
  if (decision.allowed) throw new TypeError("formatAccessDeniedMessage needs a deny decision");
  const quote = options.quoteResource ?? action.toLowerCase().startsWith("s3:");
  const shownResource = quote ? `"${resource}"` : resource;
  const head = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${shownResource}`;
  const type = decision.reason.policyType;
  if (decision.kind === "explicit-deny") {
    const name = decision.reason.policyName;
    const suffix = name !== undefined && options.includePolicyName !== false ? `: ${name}` : "";
    return `${head} with an explicit deny in ${policyTypeWithArticle(type)}${suffix}`;
  }
  return `${head} because no ${policyTypeNoun(type)} allows the ${action} action`;
}
