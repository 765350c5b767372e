import { describe, expect, it } from "vitest";
import { evaluateCondition, evaluateConditions, parseConditionOperator } from "../../src/iam/conditions.js";
import { createRequestContext } from "../../src/iam/context.js";
import type { ConditionValue, ContextValue } from "../../src/iam/types.js";

function check(
  operator: string,
  key: string,
  values: ConditionValue | ConditionValue[],
  context: Record<string, ContextValue>,
  variables = true,
): boolean {
  return evaluateCondition(operator, key, values, createRequestContext(context), { variables });
}

describe("parseConditionOperator", () => {
  it("splits set prefixes, IfExists and the base operator, ignoring case", () => {
    const parsed = parseConditionOperator("forallvalues:stringlikeifexists");
    expect(parsed?.set).toBe("ForAllValues");
    expect(parsed?.ifExists).toBe(true);
    expect(parsed?.base?.name).toBe("StringLike");
  });

  it("recognises Null and rejects unknown operators", () => {
    expect(parseConditionOperator("Null")).toEqual({ set: undefined, base: undefined, ifExists: false });
    expect(parseConditionOperator("StringMaybe")).toBeUndefined();
    expect(parseConditionOperator("NullIfExists")).toBeUndefined();
  });
});

describe("string operators", () => {
  const ctx = { "aws:username": "Alice" };

  it("StringEquals is exact and case-sensitive, without wildcards", () => {
    expect(check("StringEquals", "aws:username", "Alice", ctx)).toBe(true);
    expect(check("StringEquals", "aws:username", "alice", ctx)).toBe(false);
    expect(check("StringEquals", "aws:username", "Al*", ctx)).toBe(false);
    expect(check("StringEquals", "aws:username", "Al*", { "aws:username": "Al*" })).toBe(true);
  });

  it("StringNotEquals is the negation", () => {
    expect(check("StringNotEquals", "aws:username", "Alice", ctx)).toBe(false);
    expect(check("StringNotEquals", "aws:username", "alice", ctx)).toBe(true);
  });

  it("StringEqualsIgnoreCase / StringNotEqualsIgnoreCase ignore case", () => {
    expect(check("StringEqualsIgnoreCase", "aws:username", "ALICE", ctx)).toBe(true);
    expect(check("StringEqualsIgnoreCase", "aws:username", "bob", ctx)).toBe(false);
    expect(check("StringNotEqualsIgnoreCase", "aws:username", "ALICE", ctx)).toBe(false);
    expect(check("StringNotEqualsIgnoreCase", "aws:username", "bob", ctx)).toBe(true);
  });

  it("StringLike / StringNotLike support * and ?, case-sensitively", () => {
    expect(check("StringLike", "aws:username", "Al*", ctx)).toBe(true);
    expect(check("StringLike", "aws:username", "A?ice", ctx)).toBe(true);
    expect(check("StringLike", "aws:username", "al*", ctx)).toBe(false);
    expect(check("StringNotLike", "aws:username", "Al*", ctx)).toBe(false);
    expect(check("StringNotLike", "aws:username", "B*", ctx)).toBe(true);
  });

  it("ORs several values, and a negated operator must match none of them", () => {
    expect(check("StringEquals", "aws:username", ["bob", "Alice"], ctx)).toBe(true);
    expect(check("StringNotEquals", "aws:username", ["bob", "Alice"], ctx)).toBe(false);
    expect(check("StringNotEquals", "aws:username", ["bob", "carol"], ctx)).toBe(true);
  });

  it("looks the condition key up case-insensitively", () => {
    expect(check("StringEquals", "AWS:USERNAME", "Alice", ctx)).toBe(true);
  });
});

describe("missing keys", () => {
  it("a positive operator does not match a missing key", () => {
    expect(check("StringEquals", "aws:username", "x", {})).toBe(false);
    expect(check("NumericLessThan", "s3:max-keys", "10", {})).toBe(false);
    expect(check("IpAddress", "aws:SourceIp", "10.0.0.0/8", {})).toBe(false);
  });

  it("a negated operator matches a missing key", () => {
    expect(check("StringNotEquals", "aws:username", "x", {})).toBe(true);
    expect(check("StringNotLike", "aws:username", "x*", {})).toBe(true);
    expect(check("ArnNotLike", "aws:SourceArn", "arn:aws:s3:::x", {})).toBe(true);
    expect(check("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", {})).toBe(true);
    expect(check("NumericNotEquals", "s3:max-keys", "10", {})).toBe(true);
    expect(check("DateNotEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", {})).toBe(true);
  });

  it("...IfExists matches a missing key and otherwise behaves like the base operator", () => {
    expect(check("StringEqualsIfExists", "aws:username", "x", {})).toBe(true);
    expect(check("StringEqualsIfExists", "aws:username", "x", { "aws:username": "x" })).toBe(true);
    expect(check("StringEqualsIfExists", "aws:username", "x", { "aws:username": "y" })).toBe(false);
    expect(check("StringNotEqualsIfExists", "aws:username", "x", { "aws:username": "x" })).toBe(false);
    expect(check("NumericLessThanIfExists", "s3:max-keys", "10", { "s3:max-keys": "20" })).toBe(false);
  });
});

describe("numeric operators", () => {
  const ctx = { "s3:max-keys": "10" };
  it.each([
    ["NumericEquals", "10", true],
    ["NumericEquals", "10.0", true],
    ["NumericEquals", "11", false],
    ["NumericNotEquals", "11", true],
    ["NumericNotEquals", "10", false],
    ["NumericLessThan", "11", true],
    ["NumericLessThan", "10", false],
    ["NumericLessThanEquals", "10", true],
    ["NumericLessThanEquals", "9", false],
    ["NumericGreaterThan", "9", true],
    ["NumericGreaterThan", "10", false],
    ["NumericGreaterThanEquals", "10", true],
    ["NumericGreaterThanEquals", "11", false],
  ] as const)("%s %s -> %s", (op, value, expected) => {
    expect(check(op, "s3:max-keys", value, ctx)).toBe(expected);
  });

  it("accepts JSON numbers as policy values", () => {
    expect(check("NumericEquals", "s3:max-keys", 10, ctx)).toBe(true);
  });

  it("never matches unparseable numbers, even for the negated operator", () => {
    expect(check("NumericEquals", "s3:max-keys", "ten", ctx)).toBe(false);
    expect(check("NumericNotEquals", "s3:max-keys", "ten", ctx)).toBe(false);
    expect(check("NumericLessThan", "s3:max-keys", "20", { "s3:max-keys": "12abc" })).toBe(false);
  });

  it("does not take policy variables", () => {
    expect(check("NumericEquals", "s3:max-keys", "${s3:max-keys}", ctx)).toBe(false);
  });
});

describe("date operators", () => {
  const ctx = { "aws:CurrentTime": "2024-06-15T12:00:00Z" };
  it.each([
    ["DateEquals", "2024-06-15T12:00:00Z", true],
    ["DateEquals", "2024-06-15T14:00:00+02:00", true],
    ["DateEquals", "1718452800", true],
    ["DateNotEquals", "2024-06-15T12:00:01Z", true],
    ["DateNotEquals", "1718452800", false],
    ["DateLessThan", "2024-06-15T12:00:01Z", true],
    ["DateLessThan", "2024-06-15T12:00:00Z", false],
    ["DateLessThanEquals", "2024-06-15T12:00:00Z", true],
    ["DateLessThanEquals", "2024-06-15", false],
    ["DateGreaterThan", "2024-06-15", true],
    ["DateGreaterThan", "2025-01", false],
    ["DateGreaterThanEquals", "2024-06-15T12:00:00.000Z", true],
    ["DateGreaterThanEquals", "1718452801", false],
  ] as const)("%s %s -> %s", (op, value, expected) => {
    expect(check(op, "aws:CurrentTime", value, ctx)).toBe(expected);
  });

  it("reads an epoch-seconds request value too", () => {
    expect(
      check("DateLessThan", "aws:EpochTime", "2024-06-15T12:00:01Z", { "aws:EpochTime": "1718452800" }),
    ).toBe(true);
  });

  it("reads an all-digit value as epoch seconds, not as a year", () => {
    expect(check("DateGreaterThan", "aws:CurrentTime", "2025", ctx)).toBe(true);
  });

  it("never matches an invalid date", () => {
    expect(check("DateEquals", "aws:CurrentTime", "not-a-date", ctx)).toBe(false);
    expect(check("DateNotEquals", "aws:CurrentTime", "2024-13-01", ctx)).toBe(false);
    expect(check("DateLessThan", "aws:CurrentTime", "2024-02-30", ctx)).toBe(false);
  });
});

describe("Bool", () => {
  it("compares true/false case-insensitively", () => {
    expect(check("Bool", "aws:SecureTransport", "true", { "aws:SecureTransport": "true" })).toBe(true);
    expect(check("Bool", "aws:SecureTransport", "TRUE", { "aws:SecureTransport": "true" })).toBe(true);
    expect(check("Bool", "aws:SecureTransport", true, { "aws:SecureTransport": "true" })).toBe(true);
    expect(check("Bool", "aws:SecureTransport", "false", { "aws:SecureTransport": "true" })).toBe(false);
  });

  it("does not match non-boolean values", () => {
    expect(check("Bool", "aws:SecureTransport", "yes", { "aws:SecureTransport": "true" })).toBe(false);
    expect(check("Bool", "aws:SecureTransport", "true", { "aws:SecureTransport": "1" })).toBe(false);
  });

  it("takes policy variables", () => {
    const ctx = { "aws:SecureTransport": "true", "aws:PrincipalTag/secure": "true" };
    expect(check("Bool", "aws:SecureTransport", "${aws:PrincipalTag/secure}", ctx)).toBe(true);
  });
});

describe("BinaryEquals", () => {
  it("compares the base64-decoded bytes", () => {
    expect(
      check("BinaryEquals", "k", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", { k: "QmluYXJ5VmFsdWVJbkJhc2U2NA==" }),
    ).toBe(true);
    expect(check("BinaryEquals", "k", "QQ==", { k: "Qg==" })).toBe(false);
  });

  it("does not match invalid base64", () => {
    expect(check("BinaryEquals", "k", "not base64!", { k: "not base64!" })).toBe(false);
  });
});

describe("IP address operators", () => {
  it("IpAddress matches IPv4 CIDR blocks", () => {
    expect(check("IpAddress", "aws:SourceIp", "203.0.113.0/24", { "aws:SourceIp": "203.0.113.77" })).toBe(
      true,
    );
    expect(check("IpAddress", "aws:SourceIp", "203.0.113.0/24", { "aws:SourceIp": "203.0.114.1" })).toBe(
      false,
    );
    expect(check("IpAddress", "aws:SourceIp", "0.0.0.0/0", { "aws:SourceIp": "198.51.100.1" })).toBe(true);
  });

  it("treats a bare address as /32", () => {
    expect(check("IpAddress", "aws:SourceIp", "203.0.113.7", { "aws:SourceIp": "203.0.113.7" })).toBe(true);
    expect(check("IpAddress", "aws:SourceIp", "203.0.113.7", { "aws:SourceIp": "203.0.113.8" })).toBe(false);
  });

  it("matches IPv6 blocks, including :: compression and mixed case", () => {
    const ctx = { "aws:SourceIp": "2001:db8:1234:5678::1" };
    expect(check("IpAddress", "aws:SourceIp", "2001:DB8:1234:5678::/64", ctx)).toBe(true);
    expect(check("IpAddress", "aws:SourceIp", "2001:db8:1234:5679::/64", ctx)).toBe(false);
    expect(check("IpAddress", "aws:SourceIp", "2001:0db8:1234:5678:0:0:0:1", ctx)).toBe(true);
    expect(check("IpAddress", "aws:SourceIp", "::/0", ctx)).toBe(true);
  });

  it("never puts an address inside a block of the other family", () => {
    expect(check("IpAddress", "aws:SourceIp", "0.0.0.0/0", { "aws:SourceIp": "2001:db8::1" })).toBe(false);
    expect(check("NotIpAddress", "aws:SourceIp", "0.0.0.0/0", { "aws:SourceIp": "2001:db8::1" })).toBe(true);
    expect(check("NotIpAddress", "aws:SourceIp", "10.0.0.1", { "aws:SourceIp": "2001:db8::1" })).toBe(true);
  });

  it("NotIpAddress is the negation for the same family", () => {
    expect(check("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", { "aws:SourceIp": "10.1.2.3" })).toBe(false);
    expect(
      check("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.0.0/16"], {
        "aws:SourceIp": "172.16.0.1",
      }),
    ).toBe(true);
  });

  it("never matches malformed addresses or blocks", () => {
    expect(check("IpAddress", "aws:SourceIp", "10.0.0.0/33", { "aws:SourceIp": "10.0.0.1" })).toBe(false);
    expect(check("IpAddress", "aws:SourceIp", "10.0.0.0/8", { "aws:SourceIp": "10.0.0.256" })).toBe(false);
    expect(check("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", { "aws:SourceIp": "banana" })).toBe(false);
    expect(check("IpAddress", "aws:SourceIp", "2001:db8::1::2/64", { "aws:SourceIp": "2001:db8::1" })).toBe(
      false,
    );
  });
});

describe("ARN operators", () => {
  const ctx = { "aws:SourceArn": "arn:aws:sns:us-east-2:123456789012:topic-a" };

  it("ArnEquals and ArnLike behave identically, with wildcards per segment", () => {
    for (const op of ["ArnEquals", "ArnLike"]) {
      expect(check(op, "aws:SourceArn", "arn:aws:sns:us-east-2:123456789012:topic-a", ctx)).toBe(true);
      expect(check(op, "aws:SourceArn", "arn:aws:sns:*:123456789012:topic-*", ctx)).toBe(true);
      expect(check(op, "aws:SourceArn", "arn:aws:sns:*:999999999999:*", ctx)).toBe(false);
    }
  });

  it("does not let * cross a colon, unlike StringLike (IAM docs example)", () => {
    const value = {
      k: "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
    };
    const pattern = "arn:aws:someservice:*:111122223333:finance/*";
    expect(check("StringLike", "k", pattern, value)).toBe(true);
    expect(check("ArnLike", "k", pattern, value)).toBe(false);
  });

  it("is case-sensitive", () => {
    expect(check("ArnEquals", "aws:SourceArn", "arn:aws:sns:us-east-2:123456789012:TOPIC-A", ctx)).toBe(
      false,
    );
  });

  it("ArnNotEquals / ArnNotLike are the negation", () => {
    expect(check("ArnNotEquals", "aws:SourceArn", "arn:aws:sns:*:*:topic-a", ctx)).toBe(false);
    expect(check("ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:*:topic-b", ctx)).toBe(true);
  });

  it("never matches a value that is not an ARN", () => {
    expect(check("ArnLike", "k", "*", { k: "not-an-arn" })).toBe(false);
    expect(check("ArnNotLike", "k", "arn:aws:s3:::x", { k: "not-an-arn" })).toBe(false);
  });

  it("takes policy variables", () => {
    const withUser = { ...ctx, "aws:username": "topic-a" };
    expect(
      check("ArnEquals", "aws:SourceArn", "arn:aws:sns:us-east-2:123456789012:${aws:username}", withUser),
    ).toBe(true);
  });
});

describe("Null", () => {
  it('"true" matches a missing key and "false" a present one', () => {
    expect(check("Null", "aws:TokenIssueTime", "true", {})).toBe(true);
    expect(check("Null", "aws:TokenIssueTime", "false", {})).toBe(false);
    expect(
      check("Null", "aws:TokenIssueTime", "false", { "aws:TokenIssueTime": "2024-01-01T00:00:00Z" }),
    ).toBe(true);
    expect(check("Null", "aws:TokenIssueTime", true, {})).toBe(true);
  });
});

describe("set operators", () => {
  const ctx = { "aws:TagKeys": ["env", "team"] };

  it("ForAnyValue matches when any request value matches any policy value", () => {
    expect(check("ForAnyValue:StringEquals", "aws:TagKeys", ["team", "owner"], ctx)).toBe(true);
    expect(check("ForAnyValue:StringEquals", "aws:TagKeys", ["owner"], ctx)).toBe(false);
  });

  it("ForAllValues matches when every request value matches some policy value", () => {
    expect(check("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team", "owner"], ctx)).toBe(true);
    expect(check("ForAllValues:StringEquals", "aws:TagKeys", ["env"], ctx)).toBe(false);
    expect(check("ForAllValues:StringLike", "aws:TagKeys", ["e*", "t*"], ctx)).toBe(true);
  });

  it("applies negated operators per request value", () => {
    expect(check("ForAllValues:StringNotEquals", "aws:TagKeys", ["owner"], ctx)).toBe(true);
    expect(check("ForAllValues:StringNotEquals", "aws:TagKeys", ["env"], ctx)).toBe(false);
    expect(check("ForAnyValue:StringNotEquals", "aws:TagKeys", ["env"], ctx)).toBe(true);
    expect(check("ForAnyValue:StringNotEquals", "aws:TagKeys", ["env", "team"], ctx)).toBe(false);
  });

  it("on a missing key: ForAllValues matches, ForAnyValue does not", () => {
    expect(check("ForAllValues:StringEquals", "aws:TagKeys", ["env"], {})).toBe(true);
    expect(check("ForAnyValue:StringEquals", "aws:TagKeys", ["env"], {})).toBe(false);
  });

  it("on an empty data set: ForAllValues matches, ForAnyValue does not", () => {
    expect(check("ForAllValues:StringEquals", "aws:TagKeys", ["env"], { "aws:TagKeys": [] })).toBe(true);
    expect(check("ForAnyValue:StringEquals", "aws:TagKeys", ["env"], { "aws:TagKeys": [] })).toBe(false);
    expect(check("ForAnyValue:StringEquals", "aws:TagKeys", ["env"], { "aws:TagKeys": "" })).toBe(false);
  });

  it("ForAnyValue with IfExists matches a missing key", () => {
    expect(check("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", ["env"], {})).toBe(true);
  });

  it("treats a single-valued context key as a one-element set", () => {
    expect(check("ForAnyValue:StringEquals", "aws:username", "alice", { "aws:username": "alice" })).toBe(
      true,
    );
  });

  it("a single-valued operator never matches a multivalued key", () => {
    expect(check("StringEquals", "aws:TagKeys", "env", ctx)).toBe(false);
    expect(check("StringNotEquals", "aws:TagKeys", "owner", ctx)).toBe(false);
  });
});

describe("policy variables in condition values", () => {
  const ctx = { "aws:username": "alice", "s3:prefix": "home/alice/docs", "aws:PrincipalTag/team": "blue" };

  it("resolves variables in String operators", () => {
    expect(check("StringLike", "s3:prefix", "home/${aws:username}/*", ctx)).toBe(true);
    expect(check("StringEquals", "aws:PrincipalTag/team", "${aws:PrincipalTag/team}", ctx)).toBe(true);
  });

  it("treats an unresolved variable as a non-match, also for negated operators", () => {
    expect(check("StringLike", "s3:prefix", "home/${aws:userid}/*", ctx)).toBe(false);
    expect(check("StringNotLike", "s3:prefix", "home/${aws:userid}/*", ctx)).toBe(false);
  });

  it("keeps escapes literal inside StringLike", () => {
    expect(check("StringLike", "k", "a${*}", { k: "a*" })).toBe(true);
    expect(check("StringLike", "k", "a${*}", { k: "abc" })).toBe(false);
  });

  it("keeps ${...} literal when variables are disabled", () => {
    expect(
      check("StringEquals", "k", "${aws:username}", { k: "${aws:username}", "aws:username": "x" }, false),
    ).toBe(true);
    expect(check("StringEquals", "k", "${aws:username}", { k: "x", "aws:username": "x" }, false)).toBe(false);
  });
});

describe("evaluateConditions", () => {
  const ctx = createRequestContext({ "aws:username": "alice", "aws:SourceIp": "10.0.0.1" });
  const on = { variables: true };

  it("is true without a Condition element", () => {
    expect(evaluateConditions(undefined, ctx, on)).toBe(true);
  });

  it("ANDs keys under one operator", () => {
    expect(
      evaluateConditions({ StringEquals: { "aws:username": "alice", "aws:SourceIp": "10.0.0.1" } }, ctx, on),
    ).toBe(true);
    expect(
      evaluateConditions({ StringEquals: { "aws:username": "alice", "aws:SourceIp": "10.0.0.2" } }, ctx, on),
    ).toBe(false);
  });

  it("ANDs operators", () => {
    const both = { StringEquals: { "aws:username": "alice" }, IpAddress: { "aws:SourceIp": "10.0.0.0/8" } };
    expect(evaluateConditions(both, ctx, on)).toBe(true);
    const oneFails = {
      StringEquals: { "aws:username": "alice" },
      IpAddress: { "aws:SourceIp": "192.168.0.0/16" },
    };
    expect(evaluateConditions(oneFails, ctx, on)).toBe(false);
  });

  it("fails on an unknown operator", () => {
    expect(evaluateConditions({ StringMaybe: { "aws:username": "alice" } }, ctx, on)).toBe(false);
  });
});
