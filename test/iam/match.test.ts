import { describe, expect, it } from "vitest";
import { createRequestContext } from "../../src/iam/context.js";
import { globMatch } from "../../src/iam/glob.js";
import { matchesAction, matchesResource, matchResource } from "../../src/iam/match.js";

const empty = createRequestContext({});
const alice = createRequestContext({
  "aws:username": "alice",
  "aws:userid": "AIDAEXAMPLE",
  "aws:PrincipalTag/team": "blue",
  "aws:CalledVia": ["athena.amazonaws.com"],
  "aws:Star": "a*b",
});

describe("globMatch", () => {
  it("matches * as any run, including the empty one", () => {
    expect(globMatch("a*c", "ac", false)).toBe(true);
    expect(globMatch("a*c", "abbbc", false)).toBe(true);
    expect(globMatch("a*c", "abbbd", false)).toBe(false);
  });

  it("matches ? as exactly one character", () => {
    expect(globMatch("a?c", "abc", false)).toBe(true);
    expect(globMatch("a?c", "ac", false)).toBe(false);
    expect(globMatch("a?c", "abbc", false)).toBe(false);
  });

  it("backtracks across several stars", () => {
    expect(globMatch("*a*b*c*", "xxaxxbxxcxx", false)).toBe(true);
    expect(globMatch("*a*b*c*", "xxaxxcxxbxx", false)).toBe(false);
  });

  it("honours ignoreCase", () => {
    expect(globMatch("ABC", "abc", true)).toBe(true);
    expect(globMatch("ABC", "abc", false)).toBe(false);
  });
});

describe("matchesAction", () => {
  it("is case-insensitive in service and action name", () => {
    expect(matchesAction("S3:getobject", "s3:GetObject")).toBe(true);
    expect(matchesAction("s3:GetObject", "S3:GETOBJECT")).toBe(true);
  });

  it("supports * and ? within the action name", () => {
    expect(matchesAction("s3:Get*", "s3:GetObject")).toBe(true);
    expect(matchesAction("s3:*Object", "s3:PutObject")).toBe(true);
    expect(matchesAction("s3:Get?bject", "s3:GetObject")).toBe(true);
    expect(matchesAction("s3:Get?bject", "s3:GetObjectAcl")).toBe(false);
  });

  it("never lets a wildcard cross the service boundary", () => {
    expect(matchesAction("s3:*", "ec2:DescribeInstances")).toBe(false);
    expect(matchesAction("s*", "s3:GetObject")).toBe(false);
  });

  it("treats a lone * as every action", () => {
    expect(matchesAction("*", "ec2:DescribeInstances")).toBe(true);
  });

  it("rejects exact names that differ", () => {
    expect(matchesAction("s3:GetObject", "s3:GetObjectAcl")).toBe(false);
  });
});

describe("matchResource", () => {
  it("matches * and exact ARNs", () => {
    expect(matchesResource("*", "arn:aws:s3:::b/k", empty)).toBe(true);
    expect(matchesResource("arn:aws:s3:::b/k", "arn:aws:s3:::b/k", empty)).toBe(true);
    expect(matchesResource("arn:aws:s3:::b/k", "arn:aws:s3:::b/K", empty)).toBe(false);
  });

  it("lets * in the resource part span slashes and colons", () => {
    expect(matchesResource("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c:d", empty)).toBe(true);
    expect(
      matchesResource(
        "arn:aws:logs:*:*:log-group:/aws/*",
        "arn:aws:logs:us-east-1:1:log-group:/aws/x:*",
        empty,
      ),
    ).toBe(true);
  });

  it("never lets a wildcard cross one of the first five colons", () => {
    // "*" in the region segment must not swallow the account segment.
    expect(
      matchesResource("arn:aws:sqs:*:111122223333:q", "arn:aws:sqs:us-east-1:111122223333:q", empty),
    ).toBe(true);
    expect(matchesResource("arn:aws:sqs:*", "arn:aws:sqs:us-east-1:111122223333:q", empty)).toBe(true);
    expect(matchesResource("arn:aws:s*:::b", "arn:aws:s3:::b", empty)).toBe(true);
    expect(matchesResource("arn:aws:sqs:us-*:1:q", "arn:aws:sqs:us-east-1:2:q", empty)).toBe(false);
  });

  it("compares segments separately, so a glob over the whole string would differ", () => {
    // As a plain glob "arn:aws:*:q" would match; by segment the service "*" cannot take "sqs:us-east-1:1".
    expect(matchesResource("arn:aws:*:q", "arn:aws:sqs:us-east-1:1:q", empty)).toBe(false);
  });

  it("does not let a wildcard stand for the resource type", () => {
    expect(matchesResource("arn:aws:iam::1:*/bob", "arn:aws:iam::1:user/bob", empty)).toBe(false);
    expect(matchesResource("arn:aws:iam::1:user/*", "arn:aws:iam::1:user/bob", empty)).toBe(true);
    expect(matchesResource("arn:aws:iam::1:*", "arn:aws:iam::1:user/bob", empty)).toBe(true);
  });

  it("does not match a non-ARN request resource against an ARN pattern", () => {
    expect(matchResource("arn:aws:s3:::*", "*", empty, { variables: true })).toBe("no-match");
  });

  it("resolves policy variables in the resource part", () => {
    expect(matchesResource("arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/alice/x", alice)).toBe(
      true,
    );
    expect(matchesResource("arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/bob/x", alice)).toBe(
      false,
    );
    expect(matchesResource("arn:aws:s3:::t/${aws:PrincipalTag/team}", "arn:aws:s3:::t/blue", alice)).toBe(
      true,
    );
    expect(matchesResource("arn:aws:s3:::u/${aws:userid}", "arn:aws:s3:::u/AIDAEXAMPLE", alice)).toBe(true);
  });

  it("looks variable keys up case-insensitively", () => {
    expect(matchesResource("arn:aws:s3:::home/${AWS:UserName}", "arn:aws:s3:::home/alice", alice)).toBe(true);
  });

  it("reports an unresolved variable rather than a plain non-match", () => {
    expect(
      matchResource("arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/x/y", empty, {
        variables: true,
      }),
    ).toBe("unresolved");
  });

  it("treats a multivalued key as unresolvable", () => {
    expect(
      matchResource("arn:aws:s3:::b/${aws:CalledVia}", "arn:aws:s3:::b/athena.amazonaws.com", alice, {
        variables: true,
      }),
    ).toBe("unresolved");
  });

  it("uses a default value when the key is missing", () => {
    expect(
      matchesResource("arn:aws:s3:::b/${aws:username, 'anonymous'}", "arn:aws:s3:::b/anonymous", empty),
    ).toBe(true);
    expect(
      matchesResource("arn:aws:s3:::b/${aws:username, 'anonymous'}", "arn:aws:s3:::b/alice", alice),
    ).toBe(true);
    expect(matchesResource("arn:aws:s3:::b/${aws:username, 'it''s'}", "arn:aws:s3:::b/it's", empty)).toBe(
      true,
    );
  });

  it("supports the ${*} ${?} ${$} escapes as literal characters", () => {
    expect(matchesResource("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", empty)).toBe(true);
    expect(matchesResource("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/anything", empty)).toBe(false);
    expect(matchesResource("arn:aws:s3:::b/what${?}", "arn:aws:s3:::b/what?", empty)).toBe(true);
    expect(matchesResource("arn:aws:s3:::b/what${?}", "arn:aws:s3:::b/whatx", empty)).toBe(false);
    expect(matchesResource("arn:aws:s3:::b/${$}5", "arn:aws:s3:::b/$5", empty)).toBe(true);
  });

  it("substitutes variable values literally, so a * in the value is not a wildcard", () => {
    expect(matchesResource("arn:aws:s3:::b/${aws:Star}", "arn:aws:s3:::b/a*b", alice)).toBe(true);
    expect(matchesResource("arn:aws:s3:::b/${aws:Star}", "arn:aws:s3:::b/axxb", alice)).toBe(false);
  });

  it("keeps ${...} literal when variables are disabled (2008-10-17 policies)", () => {
    expect(
      matchResource("arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::b/${aws:username}", alice, {
        variables: false,
      }),
    ).toBe("match");
    expect(
      matchResource("arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::b/alice", alice, { variables: false }),
    ).toBe("no-match");
  });

  it("does not resolve variables before the fifth colon", () => {
    expect(matchesResource("arn:aws:s3:::b", "arn:aws:s3:::b", alice)).toBe(true);
    expect(
      matchesResource("arn:aws:sqs:us-east-1:${aws:username}:q", "arn:aws:sqs:us-east-1:alice:q", alice),
    ).toBe(false);
  });

  it("pads short ARN patterns with wildcards", () => {
    expect(matchesResource("arn:aws:s3", "arn:aws:s3:::bucket/key", empty)).toBe(true);
    expect(matchesResource("arn:aws:ec2", "arn:aws:s3:::bucket/key", empty)).toBe(false);
  });
});
