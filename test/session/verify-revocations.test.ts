// `revoke --verify`'s core: which unexpired sessions the log calls revoked are still denied by the
// role's inline policies now, judged by evaluating the documents (the ones taskaccess writes, built
// by its own functions), never by the policies' names.

import { describe, expect, it } from "vitest";
import type {
  CredentialsIssuedEvent,
  LogRecord,
  SessionEvent,
  SessionRevokedEvent,
  SessionStartEvent,
} from "../../src/audit/events.js";
import { armedBucketDocument, armedSingleDocument } from "../../src/aws/armed-policy.js";
import {
  armedSingleName,
  compactedRevokeDocument,
  compactedRevokeName,
  singleRevokeDocument,
  singleRevokeName,
} from "../../src/aws/revoke-policy.js";
import { revocationTargets } from "../../src/session/revoke-sessions.js";
import { makeSessionName } from "../../src/session/session-id.js";
import { summarizeSessions } from "../../src/session/session-summary.js";
import {
  fixTargets,
  type InlinePolicy,
  type RevocationCheck,
  type RolePolicyReader,
  verifyRevocations,
} from "../../src/session/verify-revocations.js";

const ACCOUNT = "123456789012";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/deployer`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/reader`;
const ROLE_ID = "AROAEXAMPLEDEPLOYER01";
const MINUTE = 60_000;
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const name = (id: string, refresh = 0) => makeSessionName("deploy", id, refresh);
const userId = (id: string, refresh = 0) => `${ROLE_ID}:${name(id, refresh)}`;

const common = (id: string, minutesAgo: number) => ({
  time: iso(NOW - minutesAgo * MINUTE),
  session: id,
  task: "deploy",
  caller: `arn:aws:iam::${ACCOUNT}:user/base`,
  host: "h",
});

function start(id: string, role = ROLE): SessionStartEvent {
  return {
    event: "session.start",
    ...common(id, 30),
    role,
    sessionName: name(id),
    params: {},
    reason: null,
    durationSeconds: 3600,
    timeoutSeconds: null,
    sourceIdentity: null,
    policySha256: "0".repeat(64),
    argv: ["true"],
    credentialDelivery: "server",
  };
}

function issued(id: string, options: { refresh?: number; expiresIn?: number; role?: string } = {}) {
  const refresh = options.refresh ?? 0;
  const event: CredentialsIssuedEvent = {
    event: "credentials.issued",
    ...common(id, 30 - refresh),
    role: options.role ?? ROLE,
    sessionName: name(id, refresh),
    assumedRoleId: userId(id, refresh),
    assumedRoleArn: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/${name(id, refresh)}`,
    accessKeyId: "ASIAEXAMPLE",
    expiration: iso(NOW + (options.expiresIn ?? 30) * MINUTE),
    sourceIdentity: null,
    tags: { "taskaccess:task": "deploy", "taskaccess:session": id },
    policy: "{}",
    policySha256: "0".repeat(64),
    policyArns: [],
    packedPolicySize: null,
    ...(refresh > 0 ? { refresh } : {}),
  };
  return event;
}

function revoked(
  id: string,
  sessionName: string | undefined,
  method: "inline-deny" | "fallback" = "inline-deny",
) {
  const event: SessionRevokedEvent = {
    event: "session.revoked",
    ...common(id, 1),
    role: ROLE,
    ...(sessionName === undefined ? {} : { sessionName }),
    policyName: "whatever-the-log-says",
    method,
    attempts: 1,
    note: null,
  };
  return event;
}

// What loadSessions returns for these events, without a file.
function logOf(...events: SessionEvent[]) {
  const records = events.map((event, index) => ({ v: 1, seq: index + 1, prev: "0".repeat(64), ...event }));
  return { records: records as LogRecord[], sessions: [...summarizeSessions(records).values()] };
}

// A revoked run with one STS session.
function revokedRun(id: string, options: { expiresIn?: number } = {}): SessionEvent[] {
  return [start(id), issued(id, options), revoked(id, name(id))];
}

function fakeReader(byRole: Record<string, InlinePolicy[] | Error>): RolePolicyReader & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    inlinePolicies: async (roleArn) => {
      calls.push(roleArn);
      const found = byRole[roleArn];
      if (found instanceof Error) throw found;
      return found ?? [];
    },
  };
}

async function verify(
  log: ReturnType<typeof logOf>,
  policies: InlinePolicy[] | Record<string, InlinePolicy[] | Error>,
) {
  const reader = fakeReader(Array.isArray(policies) ? { [ROLE]: policies } : policies);
  return verifyRevocations(log, { now: NOW, reader });
}

const statuses = (checks: RevocationCheck[]) => checks.map((check) => [check.sessionName, check.status]);
const expiry = (minutes = 30) => new Date(NOW + minutes * MINUTE);
const single = (id: string, refresh = 0): InlinePolicy => ({
  name: singleRevokeName(expiry(), name(id, refresh)),
  document: singleRevokeDocument(userId(id, refresh)),
});
const unrelated: InlinePolicy = {
  name: "deploy-extras",
  document: JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "ecs:*", Resource: "*" }],
  }),
};

describe("verifyRevocations", () => {
  it("finds a session denied by its own single deny, and says which policy denies it", async () => {
    const checks = await verify(logOf(...revokedRun("aaaaaaaaaaaa")), [unrelated, single("aaaaaaaaaaaa")]);
    expect(checks).toEqual([
      {
        session: "aaaaaaaaaaaa",
        sessionName: name("aaaaaaaaaaaa"),
        task: "deploy",
        role: ROLE,
        expiresAt: iso(NOW + 30 * MINUTE),
        status: "denied",
        deniedBy: [single("aaaaaaaaaaaa").name],
      },
    ]);
  });

  it("reports deny-missing once the policy has been deleted", async () => {
    const checks = await verify(logOf(...revokedRun("aaaaaaaaaaaa")), [unrelated]);
    expect(statuses(checks)).toEqual([[name("aaaaaaaaaaaa"), "deny-missing"]]);
    expect(checks[0]?.deniedBy).toBeUndefined();
  });

  it("finds a session denied by a compacted shard, by its session tag", async () => {
    const shard = {
      name: compactedRevokeName(expiry(), "writer-ab12"),
      document: compactedRevokeDocument(["zzzzzzzzzzzz", "aaaaaaaaaaaa"]),
    };
    const log = logOf(...revokedRun("aaaaaaaaaaaa"), ...revokedRun("bbbbbbbbbbbb"));
    expect(statuses(await verify(log, [shard]))).toEqual([
      [name("aaaaaaaaaaaa"), "denied"],
      [name("bbbbbbbbbbbb"), "deny-missing"],
    ]);
  });

  it("counts an armed deny only once its time has come: before, the session can still act", async () => {
    const log = logOf(...revokedRun("aaaaaaaaaaaa"), ...revokedRun("bbbbbbbbbbbb"));
    const armedLater = {
      name: armedSingleName(expiry(), name("aaaaaaaaaaaa")),
      document: armedSingleDocument(userId("aaaaaaaaaaaa"), NOW + 5 * MINUTE),
    };
    const armedPast = {
      name: "taskaccess-armed-bucket-lookalike",
      document: armedBucketDocument(NOW - 5 * MINUTE, ["bbbbbbbbbbbb"]),
    };
    expect(statuses(await verify(log, [armedLater, armedPast]))).toEqual([
      [name("aaaaaaaaaaaa"), "deny-missing"],
      [name("bbbbbbbbbbbb"), "denied"],
    ]);
  });

  it("skips expired sessions and sessions the log does not call revoked", async () => {
    const failed = {
      event: "revocation.failed" as const,
      ...common("cccccccccccc", 1),
      role: ROLE,
      sessionName: name("cccccccccccc"),
      error: "AccessDenied",
      attempts: 8,
      expiration: iso(NOW + 30 * MINUTE),
    };
    const log = logOf(
      ...revokedRun("aaaaaaaaaaaa", { expiresIn: 0 }),
      ...revokedRun("bbbbbbbbbbbb", { expiresIn: -10 }),
      start("cccccccccccc"),
      issued("cccccccccccc"),
      failed,
      start("dddddddddddd"),
      issued("dddddddddddd"),
      ...revokedRun("eeeeeeeeeeee", { expiresIn: 1 }),
    );
    const reader = fakeReader({ [ROLE]: [] });
    const checks = await verifyRevocations(log, { now: NOW, reader });
    expect(statuses(checks)).toEqual([[name("eeeeeeeeeeee"), "deny-missing"]]);
    expect(reader.calls).toEqual([ROLE]);
  });

  it("checks each STS session of a run with refreshes on its own", async () => {
    const id = "aaaaaaaaaaaa";
    const log = logOf(
      start(id),
      issued(id),
      issued(id, { refresh: 1, expiresIn: 40 }),
      issued(id, { refresh: 2, expiresIn: 50 }),
      revoked(id, name(id)),
      revoked(id, name(id, 1)),
      revoked(id, name(id, 2)),
    );
    const checks = await verify(log, [single(id, 1)]);
    expect(statuses(checks)).toEqual([
      [name(id), "deny-missing"],
      [name(id, 1), "denied"],
      [name(id, 2), "deny-missing"],
    ]);
    expect(checks.map((check) => check.expiresAt)).toEqual([30, 40, 50].map((m) => iso(NOW + m * MINUTE)));
  });

  it("reads a log from before session.revoked named its STS session, and checks a fallback alike", async () => {
    const log = logOf(
      start("aaaaaaaaaaaa"),
      issued("aaaaaaaaaaaa"),
      revoked("aaaaaaaaaaaa", undefined),
      start("bbbbbbbbbbbb"),
      issued("bbbbbbbbbbbb"),
      revoked("bbbbbbbbbbbb", name("bbbbbbbbbbbb"), "fallback"),
    );
    expect(statuses(await verify(log, [single("aaaaaaaaaaaa")]))).toEqual([
      [name("aaaaaaaaaaaa"), "denied"],
      [name("bbbbbbbbbbbb"), "deny-missing"],
    ]);
  });

  it("goes by what a document denies, not by its name", async () => {
    const log = logOf(...revokedRun("aaaaaaaaaaaa"), ...revokedRun("bbbbbbbbbbbb"));
    // Named for aaaa but denying someone else; a foreign name that denies bbbb.
    const liar = {
      name: single("aaaaaaaaaaaa").name,
      document: singleRevokeDocument(userId("xxxxxxxxxxxx")),
    };
    const honest = { name: "incident-2030-01-01", document: singleRevokeDocument(userId("bbbbbbbbbbbb")) };
    expect(statuses(await verify(log, [liar, honest]))).toEqual([
      [name("aaaaaaaaaaaa"), "deny-missing"],
      [name("bbbbbbbbbbbb"), "denied"],
    ]);
  });

  it("does not take a deny of one service, or a deny of every session of the role, for a revocation", async () => {
    const onlyS3 = {
      name: "deny-s3",
      document: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Deny",
            Action: "s3:*",
            Resource: "*",
            Condition: { StringEquals: { "aws:userid": userId("aaaaaaaaaaaa") } },
          },
        ],
      }),
    };
    const regionGuard = {
      name: "region-guard",
      document: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Deny",
            Action: "*",
            Resource: "*",
            Condition: { StringNotEquals: { "aws:RequestedRegion": "eu-west-1" } },
          },
        ],
      }),
    };
    const log = logOf(...revokedRun("aaaaaaaaaaaa"));
    expect(statuses(await verify(log, [onlyS3, regionGuard]))).toEqual([
      [name("aaaaaaaaaaaa"), "deny-missing"],
    ]);
    // The same deny next to the guard, in one document, still counts.
    const merged = {
      name: "merged",
      document: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          ...JSON.parse(regionGuard.document).Statement,
          ...JSON.parse(singleRevokeDocument(userId("aaaaaaaaaaaa"))).Statement,
        ],
      }),
    };
    expect(statuses(await verify(log, [merged]))).toEqual([[name("aaaaaaaaaaaa"), "denied"]]);
  });

  it("reports the sessions of a role it cannot read as unknown, reading each role once", async () => {
    const log = logOf(
      ...revokedRun("aaaaaaaaaaaa"),
      ...revokedRun("bbbbbbbbbbbb"),
      start("cccccccccccc", OTHER_ROLE),
      issued("cccccccccccc", { role: OTHER_ROLE }),
      revoked("cccccccccccc", name("cccccccccccc")),
    );
    const reader = fakeReader({
      [ROLE]: new Error(`Could not read the inline policies of ${ROLE}: AccessDenied: no`),
      [OTHER_ROLE]: [{ name: "x", document: singleRevokeDocument(userId("cccccccccccc")) }],
    });
    const checks = await verifyRevocations(log, { now: NOW, reader });
    expect(checks.map((check) => [check.sessionName, check.status, check.error])).toEqual([
      [name("aaaaaaaaaaaa"), "unknown", `Could not read the inline policies of ${ROLE}: AccessDenied: no`],
      [name("bbbbbbbbbbbb"), "unknown", `Could not read the inline policies of ${ROLE}: AccessDenied: no`],
      [name("cccccccccccc"), "denied", undefined],
    ]);
    expect(reader.calls).toEqual([ROLE, OTHER_ROLE]);
  });

  it("answers unknown when a document it cannot evaluate might be the deny, and denied when another denies", async () => {
    const broken = { name: "broken", document: "{not json" };
    const log = logOf(...revokedRun("aaaaaaaaaaaa"));
    const checks = await verify(log, [broken]);
    expect(checks.map((check) => [check.status, check.error])).toEqual([
      ["unknown", "could not evaluate broken: Syntax errors in policy."],
    ]);
    expect(statuses(await verify(log, [broken, single("aaaaaaaaaaaa")]))).toEqual([
      [name("aaaaaaaaaaaa"), "denied"],
    ]);
  });
});

describe("fixTargets", () => {
  it("hands revokeSessions exactly the STS sessions whose deny is missing", async () => {
    const id = "aaaaaaaaaaaa";
    const log = logOf(
      start(id),
      issued(id),
      issued(id, { refresh: 1 }),
      issued(id, { refresh: 2 }),
      revoked(id, name(id)),
      revoked(id, name(id, 1)),
      revoked(id, name(id, 2)),
      ...revokedRun("bbbbbbbbbbbb"),
    );
    const checks = await verify(log, [single(id, 1), single("bbbbbbbbbbbb")]);
    const targets = fixTargets(log.sessions, checks);
    expect(targets.map((target) => target.session)).toEqual([id]);
    const [target] = targets;
    if (!target) throw new Error("no target");
    // The run never ended and delivered by server: still no guessed -r3, only what is missing.
    expect(revocationTargets(target, name(id))).toEqual([
      { sessionName: name(id), assumedRoleId: userId(id), expiresAt: iso(NOW + 30 * MINUTE) },
      { sessionName: name(id, 2), assumedRoleId: userId(id, 2), expiresAt: iso(NOW + 30 * MINUTE) },
    ]);
  });
});
