import { splitArn, splitPolicyArn } from "./arn.js";
import type { RequestContext } from "./context.js";
import { globMatch, matchTokens } from "./glob.js";
import { compilePattern } from "./variables.js";

// "unresolved": the pattern used a policy variable with no value, so the statement must not apply.
export type ResourceMatch = "match" | "no-match" | "unresolved";

// Actions compare case-insensitively; "*" and "?" wildcards stay within the service or action name.
export function matchesAction(pattern: string, action: string): boolean {
  if (pattern === "*") return true;
  const patternColon = pattern.indexOf(":");
  const actionColon = action.indexOf(":");
  if (patternColon === -1 || actionColon === -1) return false;
  return (
    globMatch(pattern.slice(0, patternColon), action.slice(0, actionColon), true) &&
    globMatch(pattern.slice(patternColon + 1), action.slice(actionColon + 1), true)
  );
}

// The resource-type prefix ("user/", "instance/", "log-group:") that IAM compares without wildcards;
// S3 bucket/object ARNs (no region, no account) have none.
function resourceTypePrefix(service: string, region: string, account: string, resource: string): string {
  if (service.toLowerCase() === "s3" && region === "" && account === "") return "";
  const slash = resource.indexOf("/");
  const colon = resource.indexOf(":");
  const cut = slash === -1 ? colon : colon === -1 ? slash : Math.min(slash, colon);
  return cut === -1 ? "" : resource.slice(0, cut + 1);
}

// Matches by ARN segment so a wildcard never spans the first five colons, as IAM matches Resource.
export function matchResource(
  pattern: string,
  resource: string,
  context: RequestContext,
  options: { variables: boolean },
): ResourceMatch {
  // Policy variables are resolved only in the resource part (IAM docs, "Policy variables").
  if (pattern === "*") return "match";
  const policy = splitPolicyArn(pattern);
  if (policy === undefined) {
    const tokens = compilePattern(pattern, context, { wildcards: true, variables: options.variables });
    if (tokens === undefined) return "unresolved";
    return matchTokens(tokens, resource, false) ? "match" : "no-match";
  }
  const request = splitArn(resource);
  if (request === undefined || request.prefix.toLowerCase() !== "arn") return "no-match";
  const segmentsMatch =
    globMatch(policy.partition, request.partition, true) &&
    globMatch(policy.service, request.service, true) &&
    globMatch(policy.region, request.region, true) &&
    globMatch(policy.account, request.account, true);
  if (!segmentsMatch) return "no-match";
  const product = resourceTypePrefix(policy.service, policy.region, policy.account, policy.resource);
  if (!request.resource.startsWith(product)) return "no-match";
  const tokens = compilePattern(policy.resource.slice(product.length), context, {
    wildcards: true,
    variables: options.variables,
  });
  if (tokens === undefined) return "unresolved";
  return matchTokens(tokens, request.resource.slice(product.length), false) ? "match" : "no-match";
}

// Boolean form for callers that only need to know whether a pattern covers a resource.
export function matchesResource(
  pattern: string,
  resource: string,
  context: RequestContext,
  options: { variables: boolean } = { variables: true },
): boolean {
  return matchResource(pattern, resource, context, options) === "match";
}
