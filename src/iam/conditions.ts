import { type BaseOperator, lookupBaseOperator, operatorTakesVariables } from "./condition-operators.js";
import type { RequestContext } from "./context.js";
import type { ConditionBlock, ConditionValue } from "./types.js";

export type SetOperator = "ForAnyValue" | "ForAllValues";

export interface ParsedOperator {
  set: SetOperator | undefined;
  // undefined for the Null operator, which only tests whether the key is present.
  base: BaseOperator | undefined;
  ifExists: boolean;
}

export interface ConditionOptions {
  // False for policies without Version 2012-10-17, where ${...} is literal text.
  variables: boolean;
}

const SET_PREFIXES: readonly SetOperator[] = ["ForAnyValue", "ForAllValues"];
const IF_EXISTS = "ifexists";

// Splits "ForAnyValue:StringLikeIfExists" into its parts; undefined when IAM has no such operator.
export function parseConditionOperator(name: string): ParsedOperator | undefined {
  let rest = name;
  let set: SetOperator | undefined;
  for (const prefix of SET_PREFIXES) {
    if (rest.toLowerCase().startsWith(`${prefix.toLowerCase()}:`)) {
      set = prefix;
      rest = rest.slice(prefix.length + 1);
    }
  }
  if (rest.toLowerCase() === "null") return { set, base: undefined, ifExists: false };
  let ifExists = false;
  if (rest.toLowerCase().endsWith(IF_EXISTS)) {
    ifExists = true;
    rest = rest.slice(0, -IF_EXISTS.length);
  }
  const base = lookupBaseOperator(rest);
  return base === undefined ? undefined : { set, base, ifExists };
}

// Several values for one key are OR'd; for a negated operator the key must match none of them.
function matchesAnyPolicyValue(
  base: BaseOperator,
  requestValue: string,
  policyValues: readonly string[],
  context: RequestContext,
  variables: boolean,
): boolean {
  const outcomes = policyValues.map((value) => base.compare(requestValue, value, context, variables));
  return base.negated ? outcomes.every((o) => o === "no-match") : outcomes.some((o) => o === "match");
}

// One operator/key/values triple, with IAM's rules for missing keys, IfExists, Null and set operators.
export function evaluateCondition(
  operator: string,
  key: string,
  values: ConditionValue | readonly ConditionValue[],
  context: RequestContext,
  options: ConditionOptions,
): boolean {
  const parsed = parseConditionOperator(operator);
  if (parsed === undefined) return false;
  const policyValues = (Array.isArray(values) ? values : [values]).map((v) => String(v));
  const value = context.get(key);
  const base = parsed.base;
  if (base === undefined) {
    const wanted = value === undefined ? "true" : "false";
    return policyValues.some((v) => v.toLowerCase() === wanted);
  }
  const variables = options.variables && operatorTakesVariables(base);
  if (value === undefined) {
    if (parsed.set === "ForAllValues" || parsed.ifExists) return true;
    if (parsed.set === "ForAnyValue") return false;
    return base.negated;
  }
  if (parsed.set !== undefined) {
    // An empty string or empty list is an empty data set: ForAllValues true, ForAnyValue false.
    const requestValues = (Array.isArray(value) ? value : [value]).filter((v) => v !== "");
    const results = requestValues.map((v) =>
      matchesAnyPolicyValue(base, v, policyValues, context, variables),
    );
    return parsed.set === "ForAllValues" ? results.every(Boolean) : results.some(Boolean);
  }
  // A single-valued operator never matches a multivalued key; those need a set operator.
  if (Array.isArray(value)) return false;
  return matchesAnyPolicyValue(base, value, policyValues, context, variables);
}

// A statement's Condition element: every operator and every key under it must hold (AND).
export function evaluateConditions(
  block: ConditionBlock | undefined,
  context: RequestContext,
  options: ConditionOptions,
): boolean {
  if (block === undefined) return true;
  for (const [operator, keys] of Object.entries(block)) {
    for (const [key, values] of Object.entries(keys)) {
      if (!evaluateCondition(operator, key, values, context, options)) return false;
    }
  }
  return true;
}
