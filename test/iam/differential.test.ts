// Differential test: our evaluator against @cloud-copilot/iam-simulate (AGPL, used here only as a test
// oracle). Every generated case is compared on the three-way outcome (allow / explicit / implicit deny).
// Documented disagreements, where AWS documentation settles against the oracle, are excluded by
// `documentedDifference` below and listed in test/iam/DIFFERENCES.md.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluateRequest } from "../../src/iam/evaluate.js";
import type {
  ConditionBlock,
  ContextValue,
  DecisionKind,
  NamedPolicy,
  PolicyDocument,
  Statement,
} from "../../src/iam/types.js";

const ACCOUNT = "123456789012";
const OTHER_ACCOUNT = "210987654321";
const ROLE_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/session-a`;
const USER = `arn:aws:iam::${ACCOUNT}:user/alice`;
// Fixed seed so the run is reproducible; IAM_DIFF_SEED / IAM_DIFF_RUNS widen a local exploration.
const SEED = Number(process.env.IAM_DIFF_SEED ?? 20_240_611);
const RUNS = Number(process.env.IAM_DIFF_RUNS ?? 1200);

interface Case {
  principal: string;
  action: string;
  resource: string;
  context: Record<string, ContextValue>;
  identity: PolicyDocument[];
  session: PolicyDocument | undefined;
  boundary: PolicyDocument | undefined;
  resourcePolicy: PolicyDocument | undefined;
  resourceAccount: string;
}

// ---- request ---------------------------------------------------------------------------------------

const objectArn = fc
  .tuple(
    fc.constantFrom("alpha", "beta"),
    fc.constantFrom("docs/a.txt", "docs/b.txt", "img/c.png", "alice/notes.txt", "blue/x.txt"),
  )
  .map(([bucket, key]) => `arn:aws:s3:::${bucket}/${key}`);

const actionAndResource: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(fc.constantFrom("s3:GetObject", "s3:PutObject", "s3:DeleteObject"), objectArn),
  fc.tuple(
    fc.constant("s3:ListBucket"),
    fc.constantFrom("arn:aws:s3:::alpha", "arn:aws:s3:::beta", "arn:aws:s3:::alice-bucket"),
  ),
  fc.tuple(fc.constant("ec2:DescribeInstances"), fc.constant("*")),
  fc.tuple(
    fc.constant("ec2:StartInstances"),
    fc.constant(`arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0abc`),
  ),
);

const calledVia = fc.subarray([
  "athena.amazonaws.com",
  "cloudformation.amazonaws.com",
  "dynamodb.amazonaws.com",
]);

const globalContext = fc.record(
  {
    "aws:username": fc.constantFrom("alice", "bob", "Alice"),
    "aws:userid": fc.constantFrom("AROAEXAMPLEID:session-a", "AROAEXAMPLEID:session-b", "AIDAEXAMPLE"),
    "aws:PrincipalTag/team": fc.constantFrom("blue", "red", "docs"),
    "aws:SourceIp": fc.constantFrom("10.0.0.1", "10.1.2.3", "192.168.1.20", "2001:db8::1", "2001:db9::5"),
    "aws:CurrentTime": fc.constantFrom(
      "2024-01-01T00:00:00Z",
      "2024-06-15T12:00:00Z",
      "2025-01-01T00:00:00Z",
    ),
    "aws:EpochTime": fc.constantFrom("1700000000", "1710000000", "1720000000"),
    "aws:MultiFactorAuthPresent": fc.constantFrom("true", "false"),
    "aws:MultiFactorAuthAge": fc.constantFrom("30", "3600", "86400"),
    "aws:SecureTransport": fc.constantFrom("true", "false"),
    "aws:PrincipalArn": fc.constantFrom(`arn:aws:iam::${ACCOUNT}:role/deployer`, USER),
    "aws:CalledVia": calledVia,
  },
  { requiredKeys: [] },
);

// ---- conditions -------------------------------------------------------------------------------------

const ifExists = fc.boolean().map((b) => (b ? "IfExists" : ""));

const stringCondition = fc
  .tuple(
    fc.constantFrom(
      "StringEquals",
      "StringNotEquals",
      "StringEqualsIgnoreCase",
      "StringNotEqualsIgnoreCase",
      "StringLike",
      "StringNotLike",
    ),
    ifExists,
    fc.constantFrom("aws:username", "aws:userid", "aws:PrincipalTag/team", "AWS:UserName", "aws:CalledVia"),
    fc.subarray(
      [
        "alice",
        "ALICE",
        "bob",
        "ali*",
        "a?ice",
        "AROAEXAMPLEID:session-a",
        "AROAEXAMPLEID:*",
        "blue",
        "${aws:username}",
        "${aws:PrincipalTag/team}",
        "${aws:username, 'alice'}",
        "*",
      ],
      { minLength: 1, maxLength: 2 },
    ),
  )
  .map(([op, suffix, key, values]) => ({ op: op + suffix, key, values }));

const typedCondition = <T extends string>(ops: T[], keys: string[], values: string[]) =>
  fc
    .tuple(
      fc.constantFrom(...ops),
      ifExists,
      fc.constantFrom(...keys),
      fc.subarray(values, { minLength: 1, maxLength: 2 }),
    )
    .map(([op, suffix, key, vs]) => ({ op: op + suffix, key, values: vs }));

const numericCondition = typedCondition(
  [
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
  ],
  ["aws:MultiFactorAuthAge"],
  ["30", "3600", "100", "86400.0"],
);

const DATE_OPS = [
  "DateEquals",
  "DateNotEquals",
  "DateLessThan",
  "DateLessThanEquals",
  "DateGreaterThan",
  "DateGreaterThanEquals",
];

const dateCondition = fc.oneof(
  typedCondition(
    DATE_OPS,
    ["aws:CurrentTime"],
    ["2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z", "2024-06-15", "1718452800"],
  ),
  typedCondition(DATE_OPS, ["aws:EpochTime"], ["1700000000", "1710000000", "1720000000"]),
);

const boolCondition = typedCondition(
  ["Bool"],
  ["aws:MultiFactorAuthPresent", "aws:SecureTransport"],
  ["true", "false", "TRUE"],
);

const ipCondition = typedCondition(
  ["IpAddress", "NotIpAddress"],
  ["aws:SourceIp"],
  ["10.0.0.0/8", "10.0.0.1/32", "192.168.0.0/16", "2001:db8::/32", "0.0.0.0/0", "10.1.2.3"],
);

const arnCondition = typedCondition(
  ["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"],
  ["aws:PrincipalArn"],
  [
    `arn:aws:iam::${ACCOUNT}:role/deployer`,
    `arn:aws:iam::${ACCOUNT}:role/*`,
    "arn:aws:iam::*:user/alice",
    `arn:aws:iam::${ACCOUNT}:*`,
    `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`,
  ],
);

const nullCondition = fc
  .tuple(
    fc.constantFrom(
      "aws:username",
      "aws:SourceIp",
      "aws:PrincipalTag/team",
      "aws:CalledVia",
      "aws:EpochTime",
    ),
    fc.constantFrom("true", "false"),
  )
  .map(([key, value]) => ({ op: "Null", key, values: [value] }));

const setCondition = fc
  .tuple(
    fc.constantFrom("ForAnyValue:", "ForAllValues:"),
    fc.constantFrom("StringEquals", "StringLike", "StringNotEquals", "StringNotLike"),
    fc.integer({ min: 0, max: 3 }).map((n) => (n === 0 ? "IfExists" : "")),
    fc.constantFrom("aws:CalledVia", "aws:CalledVia", "aws:username"),
    fc.subarray(["athena.amazonaws.com", "cloudformation.amazonaws.com", "*.amazonaws.com", "alice"], {
      minLength: 1,
      maxLength: 2,
    }),
  )
  .map(([set, op, suffix, key, values]) => ({ op: set + op + suffix, key, values }));

const oneCondition = fc.oneof(
  { arbitrary: stringCondition, weight: 3 },
  numericCondition,
  dateCondition,
  boolCondition,
  ipCondition,
  arnCondition,
  nullCondition,
  { arbitrary: setCondition, weight: 2 },
);

const conditionBlock = fc
  .oneof({ arbitrary: fc.constant([]), weight: 2 }, fc.array(oneCondition, { minLength: 1, maxLength: 2 }))
  .map((conditions) => {
    if (conditions.length === 0) return undefined;
    const block: ConditionBlock = {};
    for (const { op, key, values } of conditions) {
      block[op] = { ...block[op], [key]: values.length === 1 ? (values[0] ?? "") : values };
    }
    return block;
  });

// ---- statements and policies ------------------------------------------------------------------------

// Broad patterns appear more than once so that statements often apply.
const ACTION_PATTERNS = [
  "s3:*",
  "s3:*",
  "*",
  "ec2:*",
  "s3:Get*",
  "s3:GetObject",
  "s3:PutObject",
  "s3:List*",
  "s3:ListBucket",
  "s3:*Object",
  "ec2:Describe*",
  "ec2:*",
  "*",
  "s3:Get?bject",
  "S3:getobject",
  "s3:Delete*",
];

const RESOURCE_PATTERNS = [
  "*",
  "*",
  "*",
  "arn:aws:s3:::*",
  "arn:aws:s3:::*/*",
  "arn:aws:s3:::alpha/*",
  "arn:aws:s3:::alpha",
  "arn:aws:s3:::*",
  "arn:aws:s3:::*/docs/*",
  "arn:aws:s3:::beta/${aws:username}/*",
  "arn:aws:s3:::alpha/docs/?.txt",
  "arn:aws:s3:::al*",
  "arn:aws:s3:::alpha/${aws:PrincipalTag/team}/*",
  "arn:aws:s3:::beta*",
  "arn:aws:ec2:*:*:instance/*",
  `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0abc`,
  "arn:aws:s3:::${aws:username}-bucket",
];

const patternList = (pool: string[]) =>
  fc
    .array(fc.constantFrom(...pool), { minLength: 1, maxLength: 2 })
    .map((list) => (list.length === 1 ? (list[0] ?? "*") : list));

const statement = (allowWeight: number) =>
  fc
    .record({
      effect: fc.oneof(
        { arbitrary: fc.constant("Allow" as const), weight: allowWeight },
        fc.constant("Deny" as const),
      ),
      notAction: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      actions: patternList(ACTION_PATTERNS),
      notResource: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      resources: patternList(RESOURCE_PATTERNS),
      condition: conditionBlock,
    })
    .map((s): Statement => {
      const out: Statement = { Effect: s.effect };
      if (s.notAction) out.NotAction = s.actions;
      else out.Action = s.actions;
      if (s.notResource) out.NotResource = s.resources;
      else out.Resource = s.resources;
      if (s.condition !== undefined) out.Condition = s.condition;
      return out;
    });

const policy = (allowWeight: number, maxStatements: number) =>
  fc
    .tuple(
      fc.array(statement(allowWeight), { minLength: 1, maxLength: maxStatements }),
      fc.constantFrom("2012-10-17", "2012-10-17", "2012-10-17", "2012-10-17", "2008-10-17"),
    )
    .map(([Statement, Version]): PolicyDocument => ({ Version, Statement }));

// Resource-based policy statements name principals in every way IAM allows.
const PRINCIPALS: Statement["Principal"][] = [
  "*",
  { AWS: "*" },
  { AWS: ACCOUNT },
  { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  { AWS: `arn:aws:iam::${ACCOUNT}:role/deployer` },
  { AWS: ROLE_SESSION },
  { AWS: USER },
  { AWS: [USER, `arn:aws:iam::${OTHER_ACCOUNT}:root`] },
  { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:user/mallory` },
];

const NOT_PRINCIPALS: Statement["NotPrincipal"][] = [
  { AWS: [USER, `arn:aws:iam::${ACCOUNT}:root`] },
  { AWS: [ROLE_SESSION, `arn:aws:iam::${ACCOUNT}:role/deployer`, `arn:aws:iam::${ACCOUNT}:root`] },
  { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:user/mallory` },
];

const resourceStatement = fc
  .tuple(
    statement(3),
    fc.integer({ min: 0, max: 5 }),
    fc.constantFrom(...PRINCIPALS),
    fc.constantFrom(...NOT_PRINCIPALS),
  )
  .map(([base, pick, principal, notPrincipal]): Statement => {
    if (pick === 0 && notPrincipal !== undefined) return { ...base, NotPrincipal: notPrincipal };
    return principal === undefined ? base : { ...base, Principal: principal };
  });

const resourcePolicy = fc
  .array(resourceStatement, { minLength: 1, maxLength: 3 })
  .map((Statement): PolicyDocument => ({ Version: "2012-10-17", Statement }));

const caseArbitrary: fc.Arbitrary<Case> = fc
  .record({
    principal: fc.constantFrom(ROLE_SESSION, ROLE_SESSION, USER),
    request: actionAndResource,
    context: globalContext,
    prefix: fc.option(fc.constantFrom("docs/", "img/", "alice/"), { nil: undefined }),
    identity: fc.array(policy(4, 3), { minLength: 1, maxLength: 3 }),
    session: fc.option(policy(5, 2), { nil: undefined, freq: 2 }),
    boundary: fc.option(policy(5, 2), { nil: undefined, freq: 2 }),
    resourcePolicy: fc.option(resourcePolicy, { nil: undefined, freq: 3 }),
    crossAccount: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  })
  .map((r) => {
    const [action, resource] = r.request;
    const context: Record<string, ContextValue> = { ...r.context };
    if (action === "s3:ListBucket" && r.prefix !== undefined) context["s3:prefix"] = r.prefix;
    return {
      principal: r.principal,
      action,
      resource,
      context,
      identity: r.identity,
      // The oracle, like AWS, only accepts session policies for role sessions.
      session: r.principal === ROLE_SESSION ? r.session : undefined,
      boundary: r.boundary,
      // Only S3 has resource-based policies among the generated actions.
      resourcePolicy: action.startsWith("s3:") ? r.resourcePolicy : undefined,
      // A cross-account case needs a resource-based policy (see evaluateRequest's contract).
      resourceAccount:
        r.crossAccount && r.resourcePolicy !== undefined && action.startsWith("s3:")
          ? OTHER_ACCOUNT
          : ACCOUNT,
    };
  });

// ---- comparison -------------------------------------------------------------------------------------

const ORACLE_KIND: Record<string, DecisionKind> = {
  Allowed: "allow",
  ExplicitlyDenied: "explicit-deny",
  ImplicitlyDenied: "implicit-deny",
};

async function oracle(c: Case): Promise<DecisionKind | { error: string }> {
  const result = await runSimulation(
    {
      request: {
        principal: c.principal,
        action: c.action,
        resource: { resource: c.resource, accountId: c.resourceAccount },
        contextVariables: c.context,
      },
      identityPolicies: c.identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
      ...(c.session === undefined ? {} : { sessionPolicy: c.session }),
      ...(c.boundary === undefined
        ? {}
        : { permissionBoundaryPolicies: [{ name: "boundary", policy: c.boundary }] }),
      ...(c.resourcePolicy === undefined ? {} : { resourcePolicy: c.resourcePolicy }),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === "error") return { error: JSON.stringify(result.errors) };
  if (result.resultType === "single" && (result.result.ignoredContextKeys ?? []).length > 0) {
    return { error: `ignored context keys ${String(result.result.ignoredContextKeys)}` };
  }
  return ORACLE_KIND[result.overallResult] ?? { error: `unknown result ${result.overallResult}` };
}

function ours(c: Case): DecisionKind {
  const named = (prefix: string, docs: PolicyDocument[]): NamedPolicy[] =>
    docs.map((document, i) => ({ name: `${prefix}-${i}`, document }));
  return evaluateRequest(
    {
      action: c.action,
      resource: c.resource,
      principalArn: c.principal,
      context: c.context,
      resourceAccountId: c.resourceAccount,
    },
    {
      identity: named("identity", c.identity),
      ...(c.session === undefined ? {} : { session: named("session", [c.session]) }),
      ...(c.boundary === undefined ? {} : { boundary: { name: "boundary", document: c.boundary } }),
      ...(c.resourcePolicy === undefined ? {} : { resource: named("resource", [c.resourcePolicy]) }),
    },
  ).kind;
}

// Disagreements where AWS documentation settles against the oracle. Each is listed in DIFFERENCES.md.
function documentedDifference(c: Case): string | undefined {
  const all = [
    ...c.identity,
    ...(c.session === undefined ? [] : [c.session]),
    ...(c.boundary ? [c.boundary] : []),
    ...(c.resourcePolicy ? [c.resourcePolicy] : []),
  ];
  const conditions = all.flatMap((d) => (Array.isArray(d.Statement) ? d.Statement : [d.Statement]));
  const operators = conditions.flatMap((s) => Object.entries(s.Condition ?? {}));
  // D1: "ForAnyValue:...IfExists" on a missing key. The IAM condition-operator docs say of IfExists:
  // "If the key is not present, evaluate the condition element as true"; the oracle returns false.
  if (
    operators.some(
      ([op, keys]) =>
        op.startsWith("ForAnyValue:") &&
        op.endsWith("IfExists") &&
        Object.keys(keys).some(
          (k) => !Object.keys(c.context).some((ck) => ck.toLowerCase() === k.toLowerCase()),
        ),
    )
  ) {
    return "D1";
  }
  const sourceIp = c.context["aws:SourceIp"];
  const ipValues = (prefix: string) =>
    operators
      .filter(([op]) => op.startsWith(prefix))
      .flatMap(([, keys]) =>
        Object.values(keys)
          .flatMap((v) => (Array.isArray(v) ? v : [v]))
          .map(String),
      );
  const isV6 = (ip: string) => ip.includes(":");
  // D2: NotIpAddress with a bare address (no "/prefix") and a request address of the other family. The
  // IAM docs say "If you specify an IP address without the associated routing prefix, IAM uses the
  // default prefix value of /32", i.e. a bare address is a CIDR block; the oracle treats CIDR blocks
  // of the other family as "not in range" but bare addresses of the other family as a non-match.
  if (
    typeof sourceIp === "string" &&
    ipValues("NotIpAddress").some((v) => !v.includes("/") && isV6(v) !== isV6(sourceIp))
  ) {
    return "D2";
  }
  // D3: "0.0.0.0/0" with an IPv4 request address. The IAM docs require "the standard CIDR format", in
  // which a /0 block contains every IPv4 address; the oracle computes the mask as -1 << 32, which is -1
  // in JavaScript, so it treats /0 as /32.
  if (
    typeof sourceIp === "string" &&
    !isV6(sourceIp) &&
    sourceIp !== "0.0.0.0" &&
    [...ipValues("IpAddress"), ...ipValues("NotIpAddress")].some((v) => v.endsWith("/0"))
  ) {
    return "D3";
  }
  // D4: policy variables in a policy whose Version is not 2012-10-17. The IAM policy-variables docs:
  // "If you don't include the Version element and set it to an appropriate version date, variables
  // like ${aws:username} are treated as literal strings in the policy." The oracle resolves them anyway.
  if (all.some((d) => d.Version !== "2012-10-17" && JSON.stringify(d.Statement).includes("${"))) {
    return "D4";
  }
  // D5: a date condition comparing epoch seconds with an ISO 8601 date. The IAM docs accept date values
  // "with one of the W3C implementations of the ISO 8601 date formats or in epoch (UNIX) time"; the
  // oracle reads epoch values as seconds but ISO dates as milliseconds, so mixed comparisons are off
  // by a factor of 1000.
  const isEpoch = (v: string) => /^\d+$/.test(v);
  const mixedDates = operators
    .filter(([op]) => /^(?:For(?:Any|All)Values?:)?Date/i.test(op))
    .some(([, keys]) =>
      Object.entries(keys).some(([key, values]) => {
        const requestValue = c.context[key];
        if (typeof requestValue !== "string") return false;
        return (Array.isArray(values) ? values : [values]).some(
          (v) => isEpoch(String(v)) !== isEpoch(requestValue),
        );
      }),
    );
  if (mixedDates) return "D5";
  const resourceStatements = c.resourcePolicy === undefined ? [] : [c.resourcePolicy.Statement].flat();
  const awsList = (p: Statement["Principal"]) => (p === undefined || p === "*" ? [] : [p.AWS ?? []].flat());
  // D6: a resource-based policy naming the session ARN itself, with a session policy that does not
  // allow the request. The IAM "Session policies" docs: "A resource-based policy can specify the ARN
  // of the session as a principal ... The resource-based policy permissions are not limited by the
  // session policy." The oracle applies the session policy's implicit deny first, unconditionally.
  if (
    c.session !== undefined &&
    resourceStatements.some((s) => s.Effect === "Allow" && awsList(s.Principal).includes(c.principal))
  ) {
    return "D6";
  }
  // D7: Deny with a NotPrincipal that lists the caller's account but not the caller. The IAM
  // "NotPrincipal" docs: with NotPrincipal [user Bob, account root] "all principals except the user
  // named Bob in AWS account 444455556666 are explicitly denied", so other principals of a listed
  // account are still denied; the oracle exempts them.
  if (
    resourceStatements.some((s) => {
      const listed = awsList(s.NotPrincipal);
      return (
        s.Effect === "Deny" &&
        listed.includes(`arn:aws:iam::${ACCOUNT}:root`) &&
        !listed.includes(c.principal)
      );
    })
  ) {
    return "D7";
  }
  return undefined;
}

describe("differential test against @cloud-copilot/iam-simulate", () => {
  it(`agrees on ${RUNS} generated request/policy combinations`, async () => {
    const cases = fc.sample(caseArbitrary, { seed: SEED, numRuns: RUNS });
    const mismatches: { c: Case; ours: DecisionKind; oracle: DecisionKind }[] = [];
    const oracleErrors: string[] = [];
    const excluded: Record<string, number> = {};
    const outcomes: Record<DecisionKind, number> = { allow: 0, "explicit-deny": 0, "implicit-deny": 0 };
    let compared = 0;
    for (const c of cases) {
      const expected = await oracle(c);
      if (typeof expected !== "string") {
        oracleErrors.push(expected.error);
        continue;
      }
      const actual = ours(c);
      compared++;
      outcomes[actual]++;
      if (actual === expected) continue;
      const difference = documentedDifference(c);
      if (difference !== undefined) {
        excluded[difference] = (excluded[difference] ?? 0) + 1;
        continue;
      }
      mismatches.push({ c, ours: actual, oracle: expected });
    }
    if (mismatches.length > 0) {
      console.log(JSON.stringify(mismatches.slice(0, 3), null, 2));
    }
    expect(oracleErrors.slice(0, 3)).toEqual([]);
    expect(mismatches.length).toBe(0);
    expect(compared).toBeGreaterThanOrEqual(1000);
    console.log(
      `compared ${compared}; outcomes ${JSON.stringify(outcomes)}; excluded ${JSON.stringify(excluded)}`,
    );
    // Exclusions must stay rare, or they could hide a real regression in the excluded areas.
    const excludedTotal = Object.values(excluded).reduce((a, b) => a + b, 0);
    expect(excludedTotal).toBeLessThan(compared * 0.02);
    // The generator must exercise every outcome, or agreement would prove little.
    for (const count of Object.values(outcomes)) expect(count).toBeGreaterThan(compared / 10);
  });
});
