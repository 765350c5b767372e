import { evaluateConditions } from "./conditions.js";
import type { RequestContext } from "./context.js";
import { matchesAction, matchResource } from "./match.js";
import { notPrincipalApplies, type PrincipalMatchKind, principalMatches } from "./principal.js";
import type { PolicyDocument, Statement, StringOrArray } from "./types.js";

export interface StatementTarget {
  action: string;
  resource: string;
  principalArn: string;
}

export interface StatementOptions {
  // Resolve ${...} variables: only for Version 2012-10-17 (IAM docs, "Policy variables").
  variables: boolean;
  // Resource-based and trust policies name principals; identity-based policies do not.
  checkPrincipal: boolean;
  // Trust policies have no Resource element; every other policy type needs one.
  requireResource: boolean;
  // A NotPrincipal Deny always applies to a principal with a permissions boundary (IAM docs).
  callerHasBoundary?: boolean;
}

// "not-principal": the statement applied through NotPrincipal rather than by naming the caller.
export type AppliedPrincipal = PrincipalMatchKind | "not-principal" | "none";

const STRENGTH: readonly PrincipalMatchKind[] = ["leaf", "wildcard", "role", "account"];

function list(value: StringOrArray | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

// IAM accepts Statement as one object or as an array; evaluation always wants the array.
export function statementsOf(document: PolicyDocument): Statement[] {
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}

// Policy variables exist only in the 2012-10-17 policy language; otherwise "${...}" is literal text.
export function documentUsesVariables(document: PolicyDocument): boolean {
  return document.Version === "2012-10-17";
}

function actionApplies(statement: Statement, action: string): boolean {
  if (statement.Action !== undefined) return list(statement.Action).some((p) => matchesAction(p, action));
  if (statement.NotAction !== undefined)
    return !list(statement.NotAction).some((p) => matchesAction(p, action));
  return false;
}

function resourceApplies(
  statement: Statement,
  target: StatementTarget,
  context: RequestContext,
  options: StatementOptions,
): boolean {
  const variables = { variables: options.variables };
  if (statement.Resource !== undefined) {
    return list(statement.Resource).some(
      (p) => matchResource(p, target.resource, context, variables) === "match",
    );
  }
  if (statement.NotResource !== undefined) {
    const results = list(statement.NotResource).map((p) =>
      matchResource(p, target.resource, context, variables),
    );
    // An unresolvable variable invalidates the statement rather than excluding nothing.
    return results.every((r) => r === "no-match");
  }
  return !options.requireResource;
}

function principalApplies(
  statement: Statement,
  target: StatementTarget,
  options: StatementOptions,
): AppliedPrincipal | undefined {
  if (!options.checkPrincipal) return "none";
  if (statement.Principal !== undefined) {
    const found = principalMatches(statement.Principal, target.principalArn);
    return STRENGTH.find((kind) => found.has(kind));
  }
  if (statement.NotPrincipal !== undefined) {
    if (statement.Effect === "Deny" && options.callerHasBoundary === true) return "not-principal";
    return notPrincipalApplies(statement.NotPrincipal, target.principalArn, statement.Effect)
      ? "not-principal"
      : undefined;
  }
  return undefined;
}

// Whether one statement applies to the request; returns how the principal was named, or undefined.
export function statementApplies(
  statement: Statement,
  target: StatementTarget,
  context: RequestContext,
  options: StatementOptions,
): AppliedPrincipal | undefined {
  if (!actionApplies(statement, target.action)) return undefined;
  if (!resourceApplies(statement, target, context, options)) return undefined;
  const principal = principalApplies(statement, target, options);
  if (principal === undefined) return undefined;
  if (!evaluateConditions(statement.Condition, context, { variables: options.variables })) return undefined;
  return principal;
}
