// log, log show, log verify, revoke and gc, run as real processes against an in-process sandbox.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ListRolePoliciesCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isProcessAlive } from "../../src/audit/file-lock.js";
import { parseSince, statusOf } from "../../src/cli/commands/log.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import type { SessionSummary } from "../../src/session/session-summary.js";
import { FULL_SESSION } from "../e2e/helpers.js";
import { makeProject, runCli } from "../helpers/run-cli.js";
import {
  ADMIN,
  assumeRole,
  baseCredentials,
  DEPLOYER,
  iamClient,
  policyJson,
  s3Client,
  startTestSandbox,
  worldWithAdmin,
} from "../helpers/sandbox.js";

const TASK_FILE = `version: 1
region: eu-west-1
log: ./sessions.jsonl
tasks:
  deploy:
    role: ${DEPLOYER}
    duration: 15m
    params:
      version: { pattern: '[0-9]+\\.[0-9]+\\.[0-9]+' }
    allow:
      - actions: [s3:PutObject, s3:GetObject]
        resources: ["arn:aws:s3:::releases/app/{{version}}/*"]
  check:
    role: ${DEPLOYER}
    duration: 15m
    allow:
      - actions: [s3:GetObject]
        resources: ["arn:aws:s3:::releases/*"]
`;

let sandbox: RunningSandbox;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  sandbox = await startTestSandbox({ world: worldWithAdmin() });
  const base = baseCredentials(sandbox);
  dir = makeProject({ "taskaccess.yaml": TASK_FILE });
  env = {
    AWS_ACCESS_KEY_ID: base.accessKeyId,
    AWS_SECRET_ACCESS_KEY: base.secretAccessKey,
    AWS_ENDPOINT_URL: sandbox.endpoint,
    AWS_REGION: "eu-west-1",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    HOME: dir,
  };
  // Two finished sessions to read: the task file's `log` key puts them in dir/sessions.jsonl.
  const first = await runCli(["run", "deploy", "-p", "version=1.2.3", "--", "true"], { cwd: dir, env });
  expect(first.code, first.stderr).toBe(0);
  const second = await runCli(["run", "check", "--", "sh", "-c", "exit 3"], { cwd: dir, env });
  expect(second.code, second.stderr).toBe(3);
});

afterAll(async () => {
  await sandbox.close();
});

function logLines(): Array<Record<string, unknown>> {
  return readFileSync(join(dir, "sessions.jsonl"), "utf8")
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("taskaccess log", () => {
  it("lists the sessions from the task file's log as a table, filtered by --task and --since", async () => {
    const all = await runCli(["log"], { cwd: dir, env });
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^STARTED\s+TASK\s+SESSION\s+WHO\s+DURATION\s+EXIT\s+REVOKED$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/ deploy\s+ta-deploy-[a-z0-9]+\s+\S+\s+\d+\.\ds\s+0\s+yes$/);
    expect(lines[2]).toMatch(/ check\s+ta-check-[a-z0-9]+\s+\S+\s+\d+\.\ds\s+3\s+yes$/);

    const onlyCheck = await runCli(["log", "--task", "check"], { cwd: dir, env });
    expect(onlyCheck.stdout.trimEnd().split("\n")).toHaveLength(2);
    const future = await runCli(["log", "--since", "2999-01-01"], { cwd: dir, env });
    expect(future.stdout).toBe(`no sessions in ${join(dir, "sessions.jsonl")} matching since 2999-01-01\n`);
    const bad = await runCli(["log", "--since", "yesterday"], { cwd: dir, env });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--since "yesterday" is neither a time nor a duration');
  });

  it("prints one JSON object with --json", async () => {
    const result = await runCli(["log", "--json"], { cwd: dir, env });
    const parsed = JSON.parse(result.stdout) as { log: string; sessions: Array<Record<string, unknown>> };
    expect(parsed.log).toBe(join(dir, "sessions.jsonl"));
    expect(parsed.sessions.map((session) => [session.task, session.exitCode, session.status])).toEqual([
      ["deploy", 0, "yes"],
      ["check", 3, "yes"],
    ]);
  });

  it("shows one session's events and its policy, by id or by session name", async () => {
    const start = logLines().find((line) => line.event === "session.start" && line.task === "deploy");
    const byName = await runCli(["log", "show", String(start?.sessionName)], { cwd: dir, env });
    const byId = await runCli(["log", "show", String(start?.session)], { cwd: dir, env });
    expect(byName.code, byName.stderr).toBe(0);
    expect(byId.stdout).toBe(byName.stdout);
    const events = [...byName.stdout.matchAll(/^\s+\d+\s+\S+\s+([a-z.]+)\s/gm)].map((match) => match[1]);
    expect(events).toEqual(FULL_SESSION);
    expect(byName.stdout).toContain('"Resource": "arn:aws:s3:::releases/app/1.2.3/*"');
    const missing = await runCli(["log", "show", "nosuchsession"], { cwd: dir, env });
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('no session "nosuchsession" in the session log');
  });

  it("verifies the chain, and names the line that was edited (exit 1)", async () => {
    const ok = await runCli(["log", "verify"], { cwd: dir, env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/: 14 lines, chain intact; head [0-9a-f]{64}\n$/);

    const copy = join(dir, "edited.jsonl");
    const lines = readFileSync(join(dir, "sessions.jsonl"), "utf8").split("\n");
    lines[4] = (lines[4] ?? "").replace(/"code":0/, '"code":1');
    writeFileSync(copy, lines.join("\n"));
    const edited = await runCli(["log", "verify", "--log", copy], { cwd: dir, env });
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain(`${copy}:5: changed:`);
  });

  it("says where it looked when there is no log", async () => {
    const empty = makeProject({});
    const result = await runCli(["log"], { cwd: empty, env: { ...env, HOME: empty, XDG_STATE_HOME: "" } });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain(
      `no session log at ${join(empty, ".local/state/taskaccess/sessions.jsonl")}`,
    );
  });
});

describe("taskaccess revoke and gc", () => {
  it("refuses neither or both of SESSION and --pending", async () => {
    const neither = await runCli(["revoke"], { cwd: dir, env });
    expect(neither.code).toBe(64);
    expect(neither.stderr).toContain("name a session to revoke, or give --pending");
    const both = await runCli(["revoke", "abc", "--pending"], { cwd: dir, env });
    expect(both.code).toBe(64);
  });

  it("revokes a session named on the command line and records who did it", async () => {
    // A session that taskaccess logged as started but whose run never ended (as if killed).
    const { credentials, output } = await assumeRole(sandbox, baseCredentials(sandbox), {
      RoleSessionName: "ta-deploy-manual00001",
    });
    const log = join(dir, "manual.jsonl");
    const start = {
      v: 1,
      seq: 1,
      prev: "0".repeat(64),
      event: "session.start",
      time: new Date().toISOString(),
      session: "manual00001",
      task: "deploy",
      caller: "arn:aws:iam::123456789012:user/base",
      host: "elsewhere",
      role: DEPLOYER,
      sessionName: "ta-deploy-manual00001",
      params: {},
      reason: null,
      durationSeconds: 900,
      timeoutSeconds: null,
      sourceIdentity: null,
      policySha256: "0".repeat(64),
      argv: ["true"],
    };
    writeFileSync(log, `${JSON.stringify(start)}\n`, { mode: 0o600 });
    const s3 = s3Client(sandbox, credentials);
    await s3.send(new PutObjectCommand({ Bucket: "releases", Key: "manual/x", Body: "x" }));

    const pending = await runCli(["revoke", "--pending", "--log", log], { cwd: dir, env });
    // Another host's session is never revoked by --pending: its run may still be alive there.
    expect(pending.stdout).toContain("nothing to revoke");

    const result = await runCli(["revoke", "ta-deploy-manual00001", "--log", log], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^revoked ta-deploy-manual00001 \(task deploy\): taskaccess-revoke-\d+-ta-deploy-manual00001\n$/,
    );
    await expect(
      s3.send(new GetObjectCommand({ Bucket: "releases", Key: "manual/x" })),
    ).rejects.toMatchObject({
      name: "AccessDenied",
    });
    const revoked = readFileSync(log, "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(revoked[1]).toMatchObject({
      event: "session.revoked",
      session: "manual00001",
      revokedBy: "arn:aws:iam::123456789012:user/base",
      method: "inline-deny",
    });
    expect(output.AssumedRoleUser?.AssumedRoleId).toMatch(/:ta-deploy-manual00001$/);
    const verify = await runCli(["log", "verify", "--log", log], { cwd: dir, env });
    expect(verify.code, verify.stderr).toBe(0);

    // Again: the log says it is revoked, so nothing is done and nothing is logged.
    const again = await runCli(["revoke", "ta-deploy-manual00001", "--log", log], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe("ta-deploy-manual00001 (task deploy) is already revoked: nothing to do\n");
    expect(readFileSync(log, "utf8").trimEnd().split("\n")).toHaveLength(revoked.length);
  });

  it("gc deletes revoke policies whose credentials expired and keeps the rest", async () => {
    const iam = iamClient(sandbox, ADMIN);
    const expired = `taskaccess-revoke-${Math.floor(Date.now() / 1000) - 3600}-ta-old-session`;
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "deployer",
        PolicyName: expired,
        PolicyDocument: policyJson({ Effect: "Deny", Action: "*", Resource: "*" }),
      }),
    );
    const before = await iam.send(new ListRolePoliciesCommand({ RoleName: "deployer" }));
    expect(before.PolicyNames).toContain(expired);
    const live = (before.PolicyNames ?? []).filter(
      (name) => name !== expired && name.startsWith("taskaccess-"),
    );
    expect(live.length).toBeGreaterThan(0);

    const result = await runCli(["gc", "--json"], { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ roles: { [DEPLOYER]: [expired] }, failed: {} });
    const after = await iam.send(new ListRolePoliciesCommand({ RoleName: "deployer" }));
    expect(after.PolicyNames).not.toContain(expired);
    for (const name of live) expect(after.PolicyNames).toContain(name);
  });
});

describe("log helpers", () => {
  const now = Date.parse("2026-11-28T12:00:00Z");

  it("parses --since as a time or a duration ago", () => {
    expect(parseSince("90m", now)).toBe(now - 90 * 60_000);
    expect(parseSince("7d", now)).toBe(now - 7 * 86_400_000);
    expect(parseSince("2026-11-01", now)).toBe(Date.parse("2026-11-01"));
    expect(() => parseSince("soon", now)).toThrow(/neither a time nor a duration/);
  });

  it("tells running, pending, failed and expired sessions apart", () => {
    const base: SessionSummary = {
      session: "s",
      task: "t",
      caller: null,
      host: "here",
      pid: process.pid,
      role: DEPLOYER,
      sessionName: "ta-t-s",
      assumedRoleId: null,
      startedAt: "2026-11-28T11:55:00Z",
      expiresAt: "2026-11-28T12:10:00Z",
      credentialsIssued: true,
      exitCode: null,
      durationMs: null,
      ended: false,
      revoked: false,
      revocationFailed: false,
      sourceIdentity: null,
    };
    const context = { now, host: "here", isAlive: isProcessAlive };
    expect(statusOf(base, context)).toBe("running");
    expect(statusOf({ ...base, pid: 2 ** 22 + 1 }, context)).toBe("PENDING");
    expect(statusOf({ ...base, ended: true, revocationFailed: true }, context)).toBe("FAILED");
    expect(statusOf({ ...base, ended: true, revoked: true }, context)).toBe("yes");
    expect(statusOf({ ...base, expiresAt: "2026-11-28T11:59:00Z" }, context)).toBe("expired");
    expect(statusOf({ ...base, ended: true, credentialsIssued: false }, context)).toBe("none issued");
  });
});
