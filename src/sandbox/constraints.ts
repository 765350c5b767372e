import { validationError } from "./errors.js";
import type { QueryParams } from "./query-protocol.js";

// A member constraint from an AWS service model: min/max length (or value, for integers) and an
// anchored pattern. Every value below is copied from botocore's models, which ship with the AWS CLI:
// botocore/data/sts/2011-06-15/service-2.json and botocore/data/iam/2010-05-08/service-2.json;
// test/sandbox/constraints.test.ts checks them against the installed models.
export interface MemberConstraint {
  shape: string;
  type: "string" | "integer";
  min?: number;
  max?: number;
  pattern?: string;
}

export const SHAPES = {
  arnType: { shape: "arnType", type: "string", min: 20, max: 2048 },
  roleSessionNameType: {
    shape: "roleSessionNameType",
    type: "string",
    min: 2,
    max: 64,
    pattern: "[\\w+=,.@-]*",
  },
  sourceIdentityType: {
    shape: "sourceIdentityType",
    type: "string",
    min: 2,
    max: 64,
    pattern: "[\\w+=,.@-]*",
  },
  roleDurationSecondsType: { shape: "roleDurationSecondsType", type: "integer", min: 900, max: 43200 },
  sessionPolicyDocumentType: {
    shape: "sessionPolicyDocumentType",
    type: "string",
    min: 1,
    max: 2048,
    pattern: "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
  },
  externalIdType: { shape: "externalIdType", type: "string", min: 2, max: 1224, pattern: "[\\w+=,.@:\\/-]*" },
  serialNumberType: {
    shape: "serialNumberType",
    type: "string",
    min: 9,
    max: 256,
    pattern: "[\\w+=/:,.@-]*",
  },
  tokenCodeType: { shape: "tokenCodeType", type: "string", min: 6, max: 6, pattern: "[\\d]*" },
  tagKeyType: {
    shape: "tagKeyType",
    type: "string",
    min: 1,
    max: 128,
    pattern: "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
  },
  tagValueType: {
    shape: "tagValueType",
    type: "string",
    min: 0,
    max: 256,
    pattern: "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
  },
  roleNameType: { shape: "roleNameType", type: "string", min: 1, max: 64, pattern: "[\\w+=,.@-]+" },
  policyNameType: { shape: "policyNameType", type: "string", min: 1, max: 128, pattern: "[\\w+=,.@-]+" },
  policyDocumentType: {
    shape: "policyDocumentType",
    type: "string",
    min: 1,
    max: 131072,
    pattern: "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
  },
  pathType: {
    shape: "pathType",
    type: "string",
    min: 1,
    max: 512,
    pattern: "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
  },
  policyPathType: {
    shape: "policyPathType",
    type: "string",
    min: 1,
    max: 512,
    pattern: "((/[A-Za-z0-9\\.,\\+@=_-]+)*)/",
  },
  markerType: { shape: "markerType", type: "string", min: 1, max: 320, pattern: "[\\u0020-\\u00FF]+" },
  maxItemsType: { shape: "maxItemsType", type: "integer", min: 1, max: 1000 },
  roleMaxSessionDurationType: { shape: "roleMaxSessionDurationType", type: "integer", min: 3600, max: 43200 },
  policyVersionIdType: {
    shape: "policyVersionIdType",
    type: "string",
    pattern: "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
  },
} as const satisfies Record<string, MemberConstraint>;

/** tagListType and tagKeyListType: max 50 (STS and IAM models). */
export const MAX_TAGS = 50;
/** AWS documents at most 10 managed session policies for AssumeRole (PolicyArns). */
export const MAX_POLICY_ARNS = 10;

export interface ParamSpec {
  /** The Query parameter name, such as RoleSessionName. */
  name: string;
  constraint: MemberConstraint;
  required?: boolean;
}

interface Problem {
  value: unknown;
  field: string;
  constraint: string;
}

// Checks one value against a model constraint, in AWS's wording ("have length less than or equal to 64").
export function checkValue(
  field: string,
  value: string | undefined,
  constraint: MemberConstraint,
  required = false,
): Problem[] {
  if (value === undefined) return required ? [{ value: undefined, field, constraint: "not be null" }] : [];
  const problems: Problem[] = [];
  if (constraint.type === "integer") {
    const number = Number(value);
    if (!/^-?\d+$/.test(value)) return [{ value, field, constraint: "be an integer" }];
    if (constraint.min !== undefined && number < constraint.min) {
      problems.push({ value, field, constraint: `have value greater than or equal to ${constraint.min}` });
    }
    if (constraint.max !== undefined && number > constraint.max) {
      problems.push({ value, field, constraint: `have value less than or equal to ${constraint.max}` });
    }
    return problems;
  }
  const length = [...value].length;
  if (constraint.min !== undefined && length < constraint.min) {
    problems.push({ value, field, constraint: `have length greater than or equal to ${constraint.min}` });
  }
  if (constraint.max !== undefined && length > constraint.max) {
    problems.push({ value, field, constraint: `have length less than or equal to ${constraint.max}` });
  }
  if (constraint.pattern !== undefined && !new RegExp(`^(?:${constraint.pattern})$`, "u").test(value)) {
    problems.push({ value, field, constraint: `satisfy regular expression pattern: ${constraint.pattern}` });
  }
  return problems;
}

// Validates the named parameters of a request; all problems are reported together, as AWS does.
export function checkParams(params: QueryParams, specs: ParamSpec[], extra: Problem[] = []): void {
  const problems = [...extra];
  for (const spec of specs) {
    problems.push(...checkValue(lowerFirst(spec.name), params[spec.name], spec.constraint, spec.required));
  }
  if (problems.length > 0) throw validationError(problems);
}

// AWS names members in validation messages in lower camel case ("roleSessionName").
export function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
