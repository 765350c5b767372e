import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { World } from "../../src/sandbox/world.js";
import {
  type E2eProject,
  expectRevoked,
  expectWorking,
  putAllowedObject,
  RECORD,
  readLog,
  readRecorded,
  runTaskaccess,
  sessionCredentials,
  sessionRecords,
  startProject,
  waitForFile,
  waitForLogRecord,
} from "./helpers.js";

// The standard multi-account layout (issue 11, item 1): the base identity lives in a tooling
// account (A) and assumes task roles in a workload account (B). IAM acts in the caller's account,
// so a deny written by the base identity would land on A's role of the same name, or nowhere. The
// account A here has a `deployer` of its own, as real tooling accounts often do, to catch that.

const A = "111111111111";
const B = "222222222222";
const REGION = "eu-west-1";
const roleB = (name: string) => `arn:aws:iam::${B}:role/${name}`;
const BOUNDARY = `arn:aws:iam::${B}:policy/task-role-boundary`;
const trustA = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${A}:root` },
      Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
    },
  ],
};
const releases = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Action: ["s3:*"], Resource: ["arn:aws:s3:::releases", "arn:aws:s3:::releases/*"] },
  ],
};
// What a role needs to write its own denies (the role-session path), on itself alone.
const selfRevoke = (name: string) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: [
        "iam:GetRole",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
      ],
      Resource: roleB(name),
    },
  ],
});

function world(): World {
  return {
    accounts: [
      {
        id: A,
        users: [
          {
            name: "base",
            policies: {
              assume: {
                Version: "2012-10-17",
                Statement: [
                  {
                    Effect: "Allow",
                    Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                    Resource: "arn:aws:iam::*:role/*",
                  },
                  { Effect: "Allow", Action: "iam:*", Resource: `arn:aws:iam::${A}:role/*` },
                ],
              },
            },
          },
        ],
        roles: [{ name: "deployer", trust: trustA, policies: { releases } }],
      },
      {
        id: B,
        policies: [
          {
            name: "task-role-boundary",
            document: {
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Action: ["s3:*", "iam:GetRole", "iam:ListRolePolicies", "iam:*RolePolicy"],
                  Resource: "*",
                },
              ],
            },
          },
        ],
        roles: [
          {
            name: "deployer",
            trust: trustA,
            policies: { releases, "self-revoke": selfRevoke("deployer") },
            permissionsBoundary: BOUNDARY,
          },
          { name: "locked", trust: trustA, policies: { releases } },
          {
            // A third party's role: it trusts A only with the external id B gave A.
            name: "partner",
            trust: {
              ...trustA,
              Statement: trustA.Statement.map((statement) => ({
                ...statement,
                Condition: { StringEquals: { "sts:ExternalId": "b-gave-a-4711" } },
              })),
            },
            policies: { releases, "self-revoke": selfRevoke("partner") },
            permissionsBoundary: BOUNDARY,
          },
          { name: "plain", trust: trustA, policies: { releases } },
          {
            name: "taskaccess-revoker",
            trust: trustA,
            policies: {
              revoke: {
                Version: "2012-10-17",
                Statement: [
                  {
                    Effect: "Allow",
                    Action: [
                      "iam:GetRole",
                      "iam:ListRolePolicies",
                      "iam:GetRolePolicy",
                      "iam:PutRolePolicy",
                      "iam:DeleteRolePolicy",
                    ],
                    Resource: `arn:aws:iam::${B}:role/*`,
                  },
                ],
              },
            },
          },
        ],
        buckets: ["releases"],
      },
    ],
  };
}

const task = (name: string, role: string, extra = "") => `  ${name}:
    description: Upload one release with ${name}
    role: ${role}
    duration: 15m
    allow:
      - actions: [s3:PutObject, s3:GetObject]
        resources: ["arn:aws:s3:::releases/app/1.2.3/*"]
${extra}`;

const TASKS = `version: 1
region: ${REGION}
tasks:
${task("deploy", roleB("deployer"))}
${task("locked", roleB("locked"))}
${task("via-revoker", roleB("plain"), `    revoker: ${roleB("taskaccess-revoker")}\n`)}
${task("partner", roleB("partner"), "    externalId: b-gave-a-4711\n")}
`;

let project: E2eProject;
beforeAll(async () => {
  project = await startProject(TASKS, { world: world() });
});
afterAll(async () => {
  await project?.close();
});

const inline = (account: string, name: string) =>
  [...(project.sandbox.state.findRole(account, name)?.inline.keys() ?? [])].filter((policy) =>
    policy.startsWith("taskaccess-"),
  );
const ours = (account: string, name: string) =>
  inline(account, name).filter((p) => p !== "taskaccess-reserve");

describe("a task role in another account than the base identity", () => {
  it("is revoked in its own account by a narrowly scoped session of itself, never on the caller's role of that name", async () => {
    const out = project.path("deploy");
    const result = await project.run({ task: "deploy", params: {}, command: ["sh", RECORD, out] });
    expect(result.code, result.stderr).toBe(0);
    // B's deployer has a boundary: no warning, only the log's head and the summary.
    expect(result.stderr.trim().split("\n")).toHaveLength(2);
    expect(result.stderr).not.toContain("warning");
    const recorded = readRecorded(out);
    await expectRevoked(project, sessionCredentials(recorded));
    expect(ours(B, "deployer")).toEqual([expect.stringMatching(/^taskaccess-revoke-\d+-ta-deploy-/)]);
    expect(inline(A, "deployer")).toEqual([]);

    const events = sessionRecords(readLog(project.logPath), recorded.session);
    expect(events.find((record) => record.event === "revocation.ready")).toMatchObject({
      via: "role-session",
      revokerRole: roleB("deployer"),
      boundary: BOUNDARY,
    });
    expect(events.find((record) => record.event === "session.revoked")).toMatchObject({
      confirmation: "seen",
      confirmedAfterMs: expect.any(Number),
    });
    // The revoking session: its own name, and a session policy that allows the revocation calls
    // on this one role and nothing else (so it cannot use the role's S3 access).
    const revoking = [...project.sandbox.state.credentials.values()].filter(
      (record) =>
        record.kind === "session" && record.sessionName === `taskaccess-revoker-${recorded.session}`,
    );
    expect(revoking).toHaveLength(1);
    const [session] = revoking;
    if (session?.kind !== "session") throw new Error("not a session");
    expect(session.role.arn).toBe(roleB("deployer"));
    expect(JSON.stringify(session.sessionPolicies.map((policy) => policy.document))).toContain(
      roleB("deployer"),
    );
    expect(
      await putAllowedObject(project, {
        accessKeyId: session.accessKeyId,
        secretAccessKey: session.secretAccessKey,
        sessionToken: session.sessionToken,
      }),
    ).toMatchObject({ ok: false, code: "AccessDenied" });
  });

  it("is revoked by the task's `revoker` role when it names one, and warns that the role has no boundary", async () => {
    const out = project.path("via-revoker");
    const result = await project.run({ task: "via-revoker", params: {}, command: ["sh", RECORD, out] });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `warning: ${roleB("plain")} has no permissions boundary: the identity that revokes its sessions may put inline policies on it, and so could widen it too`,
    );
    const recorded = readRecorded(out);
    await expectRevoked(project, sessionCredentials(recorded));
    expect(ours(B, "plain")).toEqual([expect.stringMatching(/^taskaccess-revoke-\d+-ta-via-revoker-/)]);
    const events = sessionRecords(readLog(project.logPath), recorded.session);
    expect(events[0]).toMatchObject({ event: "session.start", revoker: roleB("taskaccess-revoker") });
    expect(events[1]).toMatchObject({
      event: "revocation.ready",
      via: "revoker-role",
      revokerRole: roleB("taskaccess-revoker"),
      boundary: null,
    });
  });

  it("with no way to revoke there, is refused before any credentials are issued, with the policy to add", async () => {
    const before = readLog(project.logPath).length;
    const out = project.path("locked");
    const result = await project.run({ task: "locked", params: {}, command: ["sh", RECORD, out] });
    expect(result.code, result.stderr).toBe(77);
    expect(result.stderr).toContain(
      `error: No way to revoke sessions of ${roleB("locked")}, so nothing was issued`,
    );
    expect(result.stderr).toContain(
      `hint: the role ${roleB("locked")} itself needs iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy, iam:PutRolePolicy, iam:DeleteRolePolicy on ${roleB("locked")}`,
    );
    expect(result.stderr).toContain(`"Resource":"${roleB("locked")}"`);
    // No task session was ever issued for the role, and the command never ran.
    const issued = [...project.sandbox.state.credentials.values()].filter(
      (record) =>
        record.kind === "session" &&
        record.role.arn === roleB("locked") &&
        record.sessionName.startsWith("ta-"),
    );
    expect(issued).toEqual([]);
    expect(
      readLog(project.logPath)
        .slice(before)
        .map((record) => record.event),
    ).toEqual(["session.start", "session.end"]);
  });

  it("revoke --pending, after taskaccess was killed, revokes in the role's account too", async () => {
    const out = project.path("killed");
    const running = project.start({
      task: "deploy",
      params: {},
      command: ["sh", RECORD, out, "sleep", "60"],
    });
    await waitForFile(out, 15_000, running);
    const recorded = readRecorded(out);
    await waitForLogRecord(
      project.logPath,
      (record) => record.session === recorded.session && record.event === "process.start",
      running,
    );
    running.child.kill("SIGKILL");
    await running.done;
    await expectWorking(project, sessionCredentials(recorded), "the killed run's session, before revoke");
    const revoke = await runTaskaccess(project, ["revoke", "--pending", "--log", project.logPath]);
    expect({ code: revoke.code, stderr: revoke.stderr }).toEqual({ code: 0, stderr: "" });
    await expectRevoked(
      project,
      sessionCredentials(recorded),
      "the killed run's session, after revoke --pending",
    );
    expect(inline(A, "deployer")).toEqual([]);
  });
});

describe("a task role in another account that requires an external id", () => {
  it("is revoked by a session of itself assumed with the task's external id, in the run and by revoke --pending", async () => {
    const out = project.path("partner");
    const result = await project.run({ task: "partner", params: {}, command: ["sh", RECORD, out] });
    expect(result.code, result.stderr).toBe(0);
    const recorded = readRecorded(out);
    await expectRevoked(project, sessionCredentials(recorded));
    const events = sessionRecords(readLog(project.logPath), recorded.session);
    expect(events[0]).toMatchObject({ event: "session.start", externalId: "b-gave-a-4711" });
    expect(events[1]).toMatchObject({
      event: "revocation.ready",
      via: "role-session",
      revokerRole: roleB("partner"),
    });
    // The revoking session is the role's own, which its trust policy allows only with the id.
    const revokingAssume = project.sandbox.journal
      .find({ operation: "AssumeRole", resource: roleB("partner") })
      .map((entry) => entry.decision);
    expect(revokingAssume).not.toContain("deny");

    // A run killed before it could revoke: `revoke --pending` takes the id from the log.
    const killed = project.path("partner-killed");
    const running = project.start({
      task: "partner",
      params: {},
      command: ["sh", RECORD, killed, "sleep", "60"],
    });
    await waitForFile(killed, 15_000, running);
    const killedRecorded = readRecorded(killed);
    await waitForLogRecord(
      project.logPath,
      (record) => record.session === killedRecorded.session && record.event === "process.start",
      running,
    );
    running.child.kill("SIGKILL");
    await running.done;
    await expectWorking(
      project,
      sessionCredentials(killedRecorded),
      "the killed run's session, before revoke",
    );
    const revoke = await runTaskaccess(project, ["revoke", "--pending", "--log", project.logPath]);
    expect({ code: revoke.code, stderr: revoke.stderr }).toEqual({ code: 0, stderr: "" });
    await expectRevoked(
      project,
      sessionCredentials(killedRecorded),
      "the killed run's session, after revoke --pending",
    );
  });
});

describe("reconciling and cleaning up a role in another account", () => {
  it("revoke --verify finds a deleted deny in the role's account, and --fix puts it back", async () => {
    const out = project.path("verify");
    const result = await project.run({ task: "deploy", params: {}, command: ["sh", RECORD, out] });
    expect(result.code, result.stderr).toBe(0);
    const recorded = readRecorded(out);
    const role = project.sandbox.state.findRole(B, "deployer");
    const deny = ours(B, "deployer").find((name) => name.endsWith(`ta-deploy-${recorded.session}`));
    if (!role || !deny) throw new Error("no deny on B's deployer");
    // Someone with IAM access deletes the deny: the session works again.
    role.inline.delete(deny);
    await expectWorking(project, sessionCredentials(recorded), "after the deny was deleted");

    const verify = await runTaskaccess(project, ["revoke", "--verify", "--log", project.logPath, "--json"]);
    expect(verify.code, verify.stderr).toBe(1);
    const report = JSON.parse(verify.stdout) as { sessions: Array<{ sessionName: string; status: string }> };
    expect(report.sessions.find((s) => s.sessionName === `ta-deploy-${recorded.session}`)?.status).toBe(
      "deny-missing",
    );

    const fix = await runTaskaccess(project, ["revoke", "--verify", "--fix", "--log", project.logPath]);
    expect(fix.code, fix.stderr).toBe(0);
    await expectRevoked(project, sessionCredentials(recorded), "after revoke --verify --fix");
    expect(inline(A, "deployer")).toEqual([]);
  });

  it("gc deletes the expired denies in the role's account, and goes on past a role it may not clean up", async () => {
    // A deny whose session expired an hour ago, on B's deployer and, by the same name, on A's.
    const expired = `taskaccess-revoke-${Math.floor(Date.now() / 1000) - 3600}-ta-deploy-old000000000`;
    const deny = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { StringEquals: { "aws:userid": "AROAOLD:ta-deploy-old000000000" } },
        },
      ],
    });
    project.sandbox.state.findRole(B, "deployer")?.inline.set(expired, deny);
    project.sandbox.state.findRole(A, "deployer")?.inline.set(expired, deny);
    const live = ours(B, "deployer").filter((name) => name !== expired);
    expect(live.length).toBeGreaterThan(0);
    const gc = await runTaskaccess(project, ["gc", "--log", project.logPath]);
    // The log also names `locked`, which no identity may clean up: reported, and exit 77 at the end.
    expect(gc.code, gc.stderr).toBe(77);
    expect(gc.stderr).toContain(
      `error: ${roleB("locked")}: Could not clean up revoke policies on ${roleB("locked")}: AccessDenied`,
    );
    expect(gc.stdout, gc.stderr).toContain(`${roleB("deployer")}: deleted ${expired}\n`);
    // Cleaned in B, where the role is; A's role of the same name is not touched.
    expect(ours(B, "deployer")).toEqual(live);
    expect(inline(A, "deployer")).toEqual([expired]);
  });
});
