// `revoke --verify [--fix]` after option parsing: what it prints, the exit code, and that --fix goes
// through revokeSessions (a session.revoked with revokedBy for exactly the sessions whose deny is gone).

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { chainEvent, GENESIS_PREV, sha256Hex } from "../../src/audit/chain.js";
import type { SessionEvent } from "../../src/audit/events.js";
import { singleRevokeDocument } from "../../src/aws/revoke-policy.js";
import { runRevokeVerify } from "../../src/cli/commands/revoke-verify.js";
import type { CliContext } from "../../src/cli/context.js";
import { ExitCode } from "../../src/errors.js";
import type { RevokeInput, Revoker } from "../../src/session/ports.js";
import { revokeSessions } from "../../src/session/revoke-sessions.js";
import type { InlinePolicy, RolePolicyReader } from "../../src/session/verify-revocations.js";

const ROLE = "arn:aws:iam::123456789012:role/deployer";
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const userId = (name: string) => `AROAEXAMPLE:${name}`;

function run(id: string): SessionEvent[] {
  const name = `ta-deploy-${id}`;
  const common = {
    time: new Date(NOW - 60_000).toISOString(),
    session: id,
    task: "deploy",
    caller: "me",
    host: "h",
  };
  return [
    {
      event: "credentials.issued",
      ...common,
      role: ROLE,
      sessionName: name,
      assumedRoleId: userId(name),
      assumedRoleArn: `arn:aws:sts::123456789012:assumed-role/deployer/${name}`,
      accessKeyId: "ASIA",
      expiration: new Date(NOW + 3_600_000).toISOString(),
      sourceIdentity: null,
      tags: { "taskaccess:session": id },
      policy: "{}",
      policySha256: "0".repeat(64),
      policyArns: [],
      packedPolicySize: null,
    },
    {
      event: "session.revoked",
      ...common,
      role: ROLE,
      sessionName: name,
      policyName: "p",
      method: "inline-deny",
      attempts: 1,
      note: null,
    },
  ];
}

function writeLog(events: SessionEvent[]): string {
  const path = join(mkdtempSync(join(tmpdir(), "taskaccess-verify-")), "log.jsonl");
  let prev = GENESIS_PREV;
  const lines = events.map((event, index) => {
    const { text } = chainEvent(event, index + 1, prev);
    prev = sha256Hex(text);
    return `${text}\n`;
  });
  writeFileSync(path, lines.join(""));
  return path;
}

function context(): CliContext & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  const plain = new Chalk({ level: 0 });
  return {
    io: {
      stdout: (text) => {
        out += text;
      },
      stderr: (text) => {
        err += text;
      },
      env: {},
      cwd: "/",
      stdoutIsTTY: false,
      stderrIsTTY: false,
    },
    out: plain,
    err: plain,
    exitCode: 0,
    verbose: false,
    stdout: () => out,
    stderr: () => err,
  };
}

const reader = (policies: InlinePolicy[] | Error): RolePolicyReader => ({
  inlinePolicies: async () => {
    if (policies instanceof Error) throw policies;
    return policies;
  },
});
const denyFor = (id: string): InlinePolicy => ({
  name: `deny-${id}`,
  document: singleRevokeDocument(userId(`ta-deploy-${id}`)),
});

// revokeSessions with a revoker that succeeds (or not) and an in-memory log.
function revokeAgainWith(fails = false) {
  const revoked: RevokeInput[] = [];
  const appended: Array<Record<string, unknown>> = [];
  const revoker = {
    revoke: async (input: RevokeInput) => {
      if (fails) throw new Error("AccessDenied: no");
      revoked.push(input);
      return { policyName: `again-${input.sessionName}`, method: "inline-deny" as const, attempts: 1 };
    },
  } as unknown as Revoker;
  const revokeAgain = (targets: Parameters<typeof revokeSessions>[0]) =>
    revokeSessions(targets, {
      revoker,
      audit: { append: async (event) => appended.push(event) },
      clock: { now: () => NOW },
      host: "h",
      revokedBy: "arn:aws:iam::123456789012:user/admin",
    });
  return { revoked, appended, revokeAgain };
}

describe("runRevokeVerify", () => {
  it("exits 1 and names the session whose deny is gone, without revoking anything", async () => {
    const ctx = context();
    const fix = revokeAgainWith();
    const logPath = writeLog([...run("aaaa"), ...run("bbbb")]);
    const input = { logPath, fix: false, json: true, reader: reader([denyFor("aaaa")]), now: NOW };
    await runRevokeVerify(ctx, { ...input, revokeAgain: fix.revokeAgain });
    expect(ctx.exitCode).toBe(ExitCode.findings);
    const json = JSON.parse(ctx.stdout());
    expect(
      json.sessions.map((s: { sessionName: string; status: string }) => [s.sessionName, s.status]),
    ).toEqual([
      ["ta-deploy-aaaa", "denied"],
      ["ta-deploy-bbbb", "deny-missing"],
    ]);
    expect(fix.revoked).toEqual([]);
  });

  it("with --fix revokes exactly the missing ones again, logs it with revokedBy, and exits 0", async () => {
    const ctx = context();
    const fix = revokeAgainWith();
    const logPath = writeLog([...run("aaaa"), ...run("bbbb")]);
    const input = { logPath, fix: true, json: false, reader: reader([denyFor("aaaa")]), now: NOW };
    await runRevokeVerify(ctx, { ...input, revokeAgain: fix.revokeAgain });
    expect(ctx.exitCode).toBe(ExitCode.ok);
    expect(fix.revoked.map((input) => [input.sessionName, input.assumedRoleId])).toEqual([
      ["ta-deploy-bbbb", userId("ta-deploy-bbbb")],
    ]);
    expect(fix.appended.map((event) => [event.event, event.sessionName, event.revokedBy])).toEqual([
      ["session.revoked", "ta-deploy-bbbb", "arn:aws:iam::123456789012:user/admin"],
    ]);
    expect(ctx.stdout()).toMatch(/ta-deploy-aaaa\s+deploy\s+deployer\s+\S+\s+denied\n/);
    expect(ctx.stdout()).toMatch(/ta-deploy-bbbb\s+deploy\s+deployer\s+\S+\s+deny missing, revoked again\n/);
  });

  it("exits 69 when a fix fails or a role cannot be read, and says why", async () => {
    const failing = context();
    const logPath = writeLog([...run("aaaa")]);
    await runRevokeVerify(failing, {
      logPath,
      fix: true,
      json: true,
      reader: reader([]),
      revokeAgain: revokeAgainWith(true).revokeAgain,
      now: NOW,
    });
    expect(failing.exitCode).toBe(ExitCode.unavailable);
    expect(JSON.parse(failing.stdout()).sessions[0].fix).toEqual({
      revoked: false,
      error: "AccessDenied: no",
    });

    const unreadable = context();
    const error = new Error(`Could not read the inline policies of ${ROLE}: AccessDenied: no`);
    const input = { logPath, fix: false, json: false, reader: reader(error), now: NOW };
    await runRevokeVerify(unreadable, { ...input, revokeAgain: revokeAgainWith().revokeAgain });
    expect(unreadable.exitCode).toBe(ExitCode.unavailable);
    expect(unreadable.stdout()).toMatch(/ta-deploy-aaaa .* unknown\n/);
    expect(unreadable.stderr()).toContain(`ta-deploy-aaaa (${ROLE}): ${error.message}`);
  });

  it("says so when there is nothing to verify", async () => {
    const ctx = context();
    const logPath = writeLog([]);
    writeFileSync(logPath, "");
    const input = { logPath, fix: false, json: false, reader: reader(new Error("not called")), now: NOW };
    await runRevokeVerify(ctx, { ...input, revokeAgain: revokeAgainWith().revokeAgain });
    expect(ctx.exitCode).toBe(ExitCode.ok);
    expect(ctx.stdout()).toBe(
      `nothing to verify: no unexpired session in ${logPath} is recorded as revoked\n`,
    );
  });
});
