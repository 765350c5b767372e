import { parseConditionOperator } from "./conditions.js";
import type {
  ConditionBlock,
  ConditionValue,
  Effect,
  PolicyDocument,
  PolicyKind,
  PolicyVersion,
  Principal,
  Statement,
  StringOrArray,
} from "./types.js";

// The error IAM reports as MalformedPolicyDocument; the message follows IAM's wording.
export class MalformedPolicyError extends Error {
  readonly code = "MalformedPolicyDocument";

  constructor(message: string) {
    super(message);
    this.name = "MalformedPolicyError";
  }
}

export interface ParsePolicyOptions {
  // identity and session policies must not name principals; trust policies must, and have no Resource.
  kind?: PolicyKind;
}

const SYNTAX = "Syntax errors in policy.";
const TOP_FIELDS = new Set(["Version", "Id", "Statement"]);
const STATEMENT_FIELDS = new Set([
  "Sid",
  "Effect",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Principal",
  "NotPrincipal",
  "Condition",
]);
const PRINCIPAL_TYPES = new Set(["AWS", "Service", "Federated", "CanonicalUser"]);
const VENDOR = /^[a-zA-Z0-9\-.]+$/;

type JsonObject = Record<string, unknown>;

function fail(message: string): never {
  throw new MalformedPolicyError(message);
}

function isVersion(value: unknown): value is PolicyVersion {
  return value === "2012-10-17" || value === "2008-10-17";
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringOrArray(value: unknown): StringOrArray {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v): v is string => typeof v === "string")) return [...value];
  return fail(SYNTAX);
}

function asList(value: StringOrArray | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : value;
}

function isConditionValue(value: unknown): value is ConditionValue {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

function conditionBlock(value: unknown): ConditionBlock {
  if (!isObject(value)) return fail(SYNTAX);
  const block: ConditionBlock = {};
  for (const [operator, keys] of Object.entries(value)) {
    if (!isObject(keys)) return fail(SYNTAX);
    if (parseConditionOperator(operator) === undefined && Object.keys(keys).length > 0) return fail(SYNTAX);
    const entries: Record<string, ConditionValue | ConditionValue[]> = {};
    for (const [key, values] of Object.entries(keys)) {
      if (isConditionValue(values)) entries[key] = values;
      else if (Array.isArray(values) && values.every(isConditionValue)) entries[key] = [...values];
      else return fail(SYNTAX);
    }
    block[operator] = entries;
  }
  return block;
}

function principalElement(value: unknown, field: string): Principal {
  if (value === "*") return "*";
  if (!isObject(value)) return fail(`Invalid principal in policy: "${field}":${JSON.stringify(value)}`);
  const principal: Record<string, StringOrArray> = {};
  for (const [type, entries] of Object.entries(value)) {
    const list = stringOrArray(entries);
    for (const entry of asList(list)) {
      const validAws = entry === "*" || /^\d{12}$/.test(entry) || entry.startsWith("arn:");
      if (!PRINCIPAL_TYPES.has(type) || entry === "" || (type === "AWS" && !validAws)) {
        fail(`Invalid principal in policy: "${type}":"${entry}"`);
      }
    }
    principal[type] = list;
  }
  return principal;
}

function effect(value: unknown): Effect {
  if (value === undefined) return fail("Missing required field Effect");
  if (value === "Allow" || value === "Deny") return value;
  // IAM's grammar accepts any case, but its legacy parser then rejects anything but Allow/Deny.
  if (typeof value === "string" && ["allow", "deny"].includes(value.toLowerCase())) {
    return fail("The policy failed legacy parsing");
  }
  return fail(SYNTAX);
}

// Grammar of one statement: known fields, value types, and mutually exclusive element pairs.
function statementSyntax(value: unknown): Statement {
  if (!isObject(value)) return fail(SYNTAX);
  for (const field of Object.keys(value)) {
    if (!STATEMENT_FIELDS.has(field)) fail(`Unknown field ${field}`);
  }
  const pairs = [
    ["Action", "NotAction"],
    ["Resource", "NotResource"],
    ["Principal", "NotPrincipal"],
  ] as const;
  for (const [a, b] of pairs) {
    if (value[a] !== undefined && value[b] !== undefined) fail(SYNTAX);
  }
  const statement: Statement = { Effect: effect(value.Effect) };
  if (value.Sid !== undefined) {
    if (typeof value.Sid !== "string") fail(SYNTAX);
    statement.Sid = value.Sid;
  }
  for (const field of ["Action", "NotAction", "Resource", "NotResource"] as const) {
    if (value[field] !== undefined) statement[field] = stringOrArray(value[field]);
  }
  if (value.Principal !== undefined) statement.Principal = principalElement(value.Principal, "Principal");
  if (value.NotPrincipal !== undefined) {
    statement.NotPrincipal = principalElement(value.NotPrincipal, "NotPrincipal");
  }
  if (value.Condition !== undefined) statement.Condition = conditionBlock(value.Condition);
  return statement;
}

function checkPrincipals(statement: Statement, kind: PolicyKind): void {
  const named = statement.Principal !== undefined || statement.NotPrincipal !== undefined;
  if (kind !== "trust") {
    if (named) fail("Policy document should not specify a principal.");
    return;
  }
  if (!named) fail("Missing required field Principal");
  if (statement.Resource !== undefined) fail("Has prohibited field Resource");
  if (statement.NotResource !== undefined) fail("Has prohibited field NotResource");
}

function checkAction(action: string): void {
  if (action === "*") return;
  const parts = action.split(":");
  if (parts.length === 1) fail("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
  if (parts.length > 2) fail("Actions/Condition can contain only one colon.");
  const vendor = parts[0] ?? "";
  if (vendor !== "*" && !VENDOR.test(vendor)) fail(`Vendor ${vendor} is not valid`);
}

function checkResource(resource: string): void {
  if (resource !== "*" && !resource.startsWith("arn:")) {
    fail(`Resource ${resource} must be in ARN format or "*".`);
  }
}

function nonEmpty(value: StringOrArray | undefined): boolean {
  return value !== undefined && asList(value).length > 0;
}

// Semantic checks IAM applies after the grammar: unique Sids, actions and resources present and well formed.
function checkStatements(statements: readonly Statement[], kind: PolicyKind): void {
  for (const statement of statements) checkPrincipals(statement, kind);
  const sids = statements.flatMap((s) => (s.Sid === undefined || s.Sid === "" ? [] : [s.Sid]));
  if (new Set(sids).size !== sids.length) fail("Statement IDs (SID) in a single policy must be unique.");
  for (const s of statements) {
    if (!nonEmpty(s.Action) && !nonEmpty(s.NotAction)) fail("Policy statement must contain actions.");
  }
  if (kind !== "trust") {
    for (const s of statements) {
      if (!nonEmpty(s.Resource) && !nonEmpty(s.NotResource)) fail("Policy statement must contain resources.");
    }
  }
  for (const s of statements) {
    for (const resource of [...asList(s.Resource), ...asList(s.NotResource)]) checkResource(resource);
  }
  for (const s of statements) {
    for (const action of [...asList(s.Action), ...asList(s.NotAction)]) checkAction(action);
  }
}

// Validates an already-decoded JSON value as a policy of the given kind and returns it typed.
export function validatePolicyDocument(value: unknown, options: ParsePolicyOptions = {}): PolicyDocument {
  const kind = options.kind ?? "identity";
  if (!isObject(value)) return fail(SYNTAX);
  for (const field of Object.keys(value)) {
    if (!TOP_FIELDS.has(field)) fail(`Unknown field ${field}`);
  }
  if (value.Version !== undefined && !isVersion(value.Version)) fail(SYNTAX);
  if (value.Id !== undefined && typeof value.Id !== "string") fail(SYNTAX);
  if (value.Statement === undefined) fail("Missing required field Statement");
  const raw: unknown[] = Array.isArray(value.Statement) ? value.Statement : [value.Statement];
  if (raw.length === 0) fail(SYNTAX);
  const statements = raw.map(statementSyntax);
  checkStatements(statements, kind);
  const document: PolicyDocument = {
    Statement: Array.isArray(value.Statement) ? statements : (statements[0] ?? fail(SYNTAX)),
  };
  if (isVersion(value.Version)) document.Version = value.Version;
  if (typeof value.Id === "string") document.Id = value.Id;
  return document;
}

// Parses policy JSON the way IAM does on CreatePolicy/PutRolePolicy/AssumeRole, rejecting what IAM rejects.
export function parsePolicyDocument(json: string, options: ParsePolicyOptions = {}): PolicyDocument {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return fail(SYNTAX);
  }
  return validatePolicyDocument(value, options);
}
