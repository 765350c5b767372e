import { splitArn } from "./arn.js";
import type { RequestContext } from "./context.js";
import { parseIamDate } from "./dates.js";
import { matchTokens } from "./glob.js";
import { cidrContains, parseCidr, parseIp } from "./ip.js";
import { compilePattern, resolveString } from "./variables.js";

// "error" when either side cannot be read as the operator's type or a policy variable has no value.
export type Outcome = "match" | "no-match" | "error";

export interface BaseOperator {
  name: string;
  // Negated operators (StringNotEquals, NotIpAddress, ...) match when no policy value matches.
  negated: boolean;
  compare(requestValue: string, policyValue: string, context: RequestContext, variables: boolean): Outcome;
}

const outcome = (matches: boolean): Outcome => (matches ? "match" : "no-match");

function stringCompare(wildcards: boolean, ignoreCase: boolean): BaseOperator["compare"] {
  return (requestValue, policyValue, context, variables) => {
    const tokens = compilePattern(policyValue, context, { wildcards, variables });
    return tokens === undefined ? "error" : outcome(matchTokens(tokens, requestValue, ignoreCase));
  };
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

function parseNumber(text: string): number | undefined {
  return NUMBER.test(text.trim()) ? Number(text) : undefined;
}

function typedCompare<T>(
  parse: (text: string) => T | undefined,
  test: (request: T, policy: T) => boolean,
): BaseOperator["compare"] {
  return (requestValue, policyValue) => {
    const request = parse(requestValue);
    const policy = parse(policyValue);
    return request === undefined || policy === undefined ? "error" : outcome(test(request, policy));
  };
}

function parseBool(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function parseBase64(text: string): Buffer | undefined {
  return BASE64.test(text) ? Buffer.from(text, "base64") : undefined;
}

const ARN_PARTS = ["prefix", "partition", "service", "region", "account", "resource"] as const;

function arnCompare(
  requestValue: string,
  policyValue: string,
  context: RequestContext,
  variables: boolean,
): Outcome {
  const request = splitArn(requestValue);
  const policy = splitArn(policyValue);
  if (request === undefined || policy === undefined) return "error";
  let matches = true;
  for (const part of ARN_PARTS) {
    const tokens = compilePattern(policy[part], context, { wildcards: true, variables });
    if (tokens === undefined) return "error";
    if (!matchTokens(tokens, request[part], false)) matches = false;
  }
  return outcome(matches);
}

function ipCompare(requestValue: string, policyValue: string): Outcome {
  const block = parseCidr(policyValue);
  const address = parseIp(requestValue);
  return block === undefined || address === undefined ? "error" : outcome(cidrContains(block, address));
}

function define(name: string, negated: boolean, compare: BaseOperator["compare"]): BaseOperator {
  return { name, negated, compare };
}

const numeric = (test: (r: number, p: number) => boolean) => typedCompare(parseNumber, test);
const date = (test: (r: number, p: number) => boolean) => typedCompare(parseIamDate, test);

const OPERATORS: readonly BaseOperator[] = [
  define("StringEquals", false, stringCompare(false, false)),
  define("StringNotEquals", true, stringCompare(false, false)),
  define("StringEqualsIgnoreCase", false, stringCompare(false, true)),
  define("StringNotEqualsIgnoreCase", true, stringCompare(false, true)),
  define("StringLike", false, stringCompare(true, false)),
  define("StringNotLike", true, stringCompare(true, false)),
  define(
    "NumericEquals",
    false,
    numeric((r, p) => r === p),
  ),
  define(
    "NumericNotEquals",
    true,
    numeric((r, p) => r === p),
  ),
  define(
    "NumericLessThan",
    false,
    numeric((r, p) => r < p),
  ),
  define(
    "NumericLessThanEquals",
    false,
    numeric((r, p) => r <= p),
  ),
  define(
    "NumericGreaterThan",
    false,
    numeric((r, p) => r > p),
  ),
  define(
    "NumericGreaterThanEquals",
    false,
    numeric((r, p) => r >= p),
  ),
  define(
    "DateEquals",
    false,
    date((r, p) => r === p),
  ),
  define(
    "DateNotEquals",
    true,
    date((r, p) => r === p),
  ),
  define(
    "DateLessThan",
    false,
    date((r, p) => r < p),
  ),
  define(
    "DateLessThanEquals",
    false,
    date((r, p) => r <= p),
  ),
  define(
    "DateGreaterThan",
    false,
    date((r, p) => r > p),
  ),
  define(
    "DateGreaterThanEquals",
    false,
    date((r, p) => r >= p),
  ),
  define("Bool", false, (requestValue, policyValue, context, variables) => {
    const resolved = resolveString(policyValue, context, variables);
    const policy = resolved === undefined ? undefined : parseBool(resolved);
    const request = parseBool(requestValue);
    return policy === undefined || request === undefined ? "error" : outcome(policy === request);
  }),
  define(
    "BinaryEquals",
    false,
    typedCompare(parseBase64, (r, p) => r.equals(p)),
  ),
  define("IpAddress", false, ipCompare),
  define("NotIpAddress", true, ipCompare),
  define("ArnEquals", false, arnCompare),
  define("ArnLike", false, arnCompare),
  define("ArnNotEquals", true, arnCompare),
  define("ArnNotLike", true, arnCompare),
];

// Only string, ARN and Bool operators take policy variables (IAM docs, "Where you can use policy variables").
const VARIABLE_OPERATORS = new Set(["string", "arn", "bool"]);

const BY_NAME = new Map(OPERATORS.map((op) => [op.name.toLowerCase(), op]));

// Looks an operator up by name, ignoring case; "Null" is handled separately by the condition evaluator.
export function lookupBaseOperator(name: string): BaseOperator | undefined {
  return BY_NAME.get(name.toLowerCase());
}

// Whether ${...} in this operator's values is a policy variable rather than literal text.
export function operatorTakesVariables(operator: BaseOperator): boolean {
  const lower = operator.name.toLowerCase();
  return [...VARIABLE_OPERATORS].some((prefix) => lower.startsWith(prefix));
}
