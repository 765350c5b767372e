// The names and documents of revoke and armed policies, and the deadline buckets, without AWS.

import { describe, expect, it } from "vitest";
import {
  BUCKET_WIDTHS_MS,
  ceilTo,
  MAX_ARMED_BUCKETS,
  MAX_ARMED_LATENESS_MS,
  planBuckets,
} from "../../src/aws/armed-buckets.js";
import {
  armedBucketDocument,
  armedSingleDocument,
  iamTime,
  parseArmedDocument,
} from "../../src/aws/armed-policy.js";
import {
  armedBucketName,
  armedSingleName,
  compactedRevokeDocument,
  compactedRevokeName,
  compactedSessionIds,
  parseRevokeName,
  sessionIdOf,
  singleRevokeName,
} from "../../src/aws/revoke-policy.js";
import { makeSessionName } from "../../src/session/session-id.js";

const MINUTE = 60_000;
const EXPIRY = new Date(Date.UTC(2030, 0, 1, 12, 0, 0));

describe("sessionIdOf", () => {
  it.each([
    ["ta-deploy-k3j9x0a2mqzp", "k3j9x0a2mqzp"],
    ["ta-deploy-k3j9x0a2mqzp-r1", "k3j9x0a2mqzp"],
    ["ta-deploy-k3j9x0a2mqzp-r12", "k3j9x0a2mqzp"],
    ["ta-my-long-task-k3j9x0a2mqzp-r3", "k3j9x0a2mqzp"],
    ["ta-r1-k3j9x0a2mqzp", "k3j9x0a2mqzp"],
  ])("reads the session id of %s", (name, id) => {
    expect(sessionIdOf(name)).toBe(id);
  });

  it("agrees with how session names are made, refreshes included", () => {
    for (const refresh of [0, 1, 2, 99]) {
      expect(sessionIdOf(makeSessionName("deploy", "abcdefgh2345", refresh))).toBe("abcdefgh2345");
    }
  });
});

describe("policy names", () => {
  it("reads each kind back with its expiry and session", () => {
    const name = "ta-deploy-k3j9x0a2mqzp-r1";
    const expiresAt = EXPIRY.getTime();
    expect(parseRevokeName(singleRevokeName(EXPIRY, name))).toEqual({
      expiresAt,
      kind: "single",
      sessionName: name,
    });
    expect(parseRevokeName(compactedRevokeName(EXPIRY, "k3j9-ab12"))).toEqual({
      expiresAt,
      kind: "shard",
      sessionName: "k3j9-ab12",
    });
    expect(parseRevokeName(armedSingleName(EXPIRY, name))).toEqual({
      expiresAt,
      kind: "armed-single",
      sessionName: name,
    });
    expect(parseRevokeName(armedBucketName(EXPIRY, "k3j9-ab12"))?.kind).toBe("armed-bucket");
  });

  it("gives armed policies a prefix a taskaccess from before arming never reads as a revoke policy", () => {
    expect(armedSingleName(EXPIRY, "ta-x-k3j9x0a2mqzp").startsWith("taskaccess-revoke-")).toBe(false);
    expect(armedBucketName(EXPIRY, "w").startsWith("taskaccess-revoke-")).toBe(false);
  });

  it("leaves names that are not ours alone", () => {
    expect(parseRevokeName("releases")).toBeUndefined();
    expect(parseRevokeName("taskaccess-revoke-1893499200-b-x")).toBeUndefined();
    expect(parseRevokeName("taskaccess-armed-1893499200-c-x")).toBeUndefined();
  });
});

describe("documents", () => {
  it("never reads an armed bucket as an unconditional shard", () => {
    expect(compactedSessionIds(compactedRevokeDocument(["b", "a"]))).toEqual(["a", "b"]);
    expect(compactedSessionIds(armedBucketDocument(EXPIRY.getTime(), ["a", "b"]))).toEqual([]);
  });

  it("writes the deadline with DateGreaterThan on aws:CurrentTime and reads it back", () => {
    const at = Date.UTC(2030, 0, 1, 10, 5, 0, 1);
    const single = JSON.parse(armedSingleDocument("AROAEXAMPLE:ta-x-id", at));
    expect(single.Statement[0].Condition).toEqual({
      DateGreaterThan: { "aws:CurrentTime": "2030-01-01T10:05:01Z" },
      StringEquals: { "aws:userid": "AROAEXAMPLE:ta-x-id" },
    });
    expect(parseArmedDocument(armedBucketDocument(at, ["b", "a"]))).toEqual({
      activateAt: Date.UTC(2030, 0, 1, 10, 5, 1),
      sessionIds: ["a", "b"],
      userId: undefined,
    });
    expect(parseArmedDocument(compactedRevokeDocument(["a"]))).toBeUndefined();
  });

  it("rounds a time with milliseconds up, never down", () => {
    expect(iamTime(Date.UTC(2030, 0, 1, 0, 0, 0, 0))).toBe("2030-01-01T00:00:00Z");
    expect(iamTime(Date.UTC(2030, 0, 1, 0, 0, 0, 1))).toBe("2030-01-01T00:00:01Z");
  });
});

describe("planBuckets", () => {
  const now = Date.UTC(2030, 0, 1, 0, 0, 0);

  it("keeps the 5-minute grid while the deadlines make few buckets", () => {
    const times = Array.from({ length: 20 }, (_, i) => now + 10 * MINUTE + i * 2 * MINUTE + 7_000);
    const bucket = planBuckets(times, now);
    for (const time of times) {
      expect(bucket(time)).toBeGreaterThanOrEqual(time);
      expect(bucket(time) - time).toBeLessThan(BUCKET_WIDTHS_MS[0] ?? 0);
    }
    expect(new Set(times.map(bucket)).size).toBeLessThanOrEqual(MAX_ARMED_BUCKETS);
  });

  it("coarsens the grid, only ever later and at most the bound, when deadlines are spread out", () => {
    const times = Array.from({ length: 50 }, (_, i) => now + 20 * MINUTE + i * 13 * MINUTE + 11_000);
    const bucket = planBuckets(times, now);
    for (const time of times) {
      expect(bucket(time)).toBeGreaterThanOrEqual(time);
      expect(bucket(time) - time).toBeLessThan(MAX_ARMED_LATENESS_MS);
    }
    expect(new Set(times.map(bucket)).size).toBeLessThanOrEqual(MAX_ARMED_BUCKETS);
  });

  it("never moves a deny that may already be in force", () => {
    const frozenUntil = now + 5 * MINUTE;
    const early = now + 3 * MINUTE + 1_000;
    const times = [early, ...Array.from({ length: 30 }, (_, i) => now + i * 23 * MINUTE + 10 * MINUTE)];
    expect(planBuckets(times, frozenUntil)(early)).toBe(early);
  });

  it("lands a re-bucketed time where bucketing once to the coarser grid would", () => {
    const time = now + 77 * MINUTE + 13_000;
    for (const fine of BUCKET_WIDTHS_MS) {
      for (const coarse of BUCKET_WIDTHS_MS.filter((width) => width >= fine)) {
        expect(ceilTo(ceilTo(time, fine), coarse)).toBe(ceilTo(time, coarse));
      }
    }
  });
});
