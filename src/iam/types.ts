// Types for IAM policy documents and for evaluation requests and decisions.
// Field shapes follow the IAM JSON policy grammar: most elements accept a string or an array of strings.

export type StringOrArray = string | string[];

export type Effect = "Allow" | "Deny";

// The two policy-language versions IAM accepts. Only 2012-10-17 supports policy variables.
export type PolicyVersion = "2012-10-17" | "2008-10-17";

// "*" or a map such as {"AWS": [...], "Service": "...", "Federated": "...", "CanonicalUser": "..."}.
export type Principal = "*" | Record<string, StringOrArray>;

// IAM accepts JSON strings, numbers and booleans as condition values ("Bool": {"k": true}).
export type ConditionValue = string | number | boolean;

// operator (e.g. "StringEquals", "ForAnyValue:StringLike", "DateLessThanIfExists") -> key -> value(s).
export type ConditionBlock = Record<string, Record<string, ConditionValue | ConditionValue[]>>;

export interface Statement {
  Sid?: string;
  Effect: Effect;
  Action?: StringOrArray;
  NotAction?: StringOrArray;
  Resource?: StringOrArray;
  NotResource?: StringOrArray;
  Principal?: Principal;
  NotPrincipal?: Principal;
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version?: PolicyVersion;
  Id?: string;
  Statement: Statement | Statement[];
}

export type PolicyKind = "identity" | "session" | "trust";

export interface NamedPolicy {
  name: string;
  document: PolicyDocument;
}

// A request context value: a string for single-valued keys, an array for multivalued keys.
export type ContextValue = string | string[];

export interface AccessRequest {
  action: string;
  resource: string;
  principalArn: string;
  // Keys such as aws:userid, aws:PrincipalTag/team, aws:SourceIp; looked up case-insensitively.
  context: Record<string, ContextValue>;
  // Account that owns the resource. Defaults to the account in the resource ARN, or to the
  // principal's account when the ARN has none (S3 bucket and object ARNs).
  resourceAccountId?: string;
}

export interface PolicySet {
  identity: NamedPolicy[];
  // Inline session policy and PolicyArns of a role session. When non-empty, the request must also be
  // allowed by one of them. An empty array means the session was given no session policies.
  session?: NamedPolicy[];
  boundary?: NamedPolicy;
  // Resource-based policies (e.g. a bucket policy). For a resource in another account one of them must
  // also allow; when none is given, only the principal's side (identity, session, boundary) is evaluated.
  resource?: NamedPolicy[];
}

export type PolicyType = "identity" | "session" | "boundary" | "resource";

export type DecisionKind = "allow" | "explicit-deny" | "implicit-deny";

export interface DecisionReason {
  policyType: PolicyType;
  policyName?: string;
  statementIndex?: number;
  sid?: string;
}

export interface Decision {
  allowed: boolean;
  kind: DecisionKind;
  reason: DecisionReason;
  explanation: string;
}
