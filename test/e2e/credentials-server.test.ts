import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogRecord } from "../../src/audit/events.js";
import { verifySessionLog } from "../../src/audit/verify-log.js";
import { createIamRevoker } from "../../src/aws/iam-revoker.js";
import { createStsIssuer } from "../../src/aws/sts-issuer.js";
import { openAuditLog } from "../../src/cli/open-audit-log.js";
import { cryptoRandom } from "../../src/sandbox/ids.js";
import { defaultWorld } from "../../src/sandbox/world.js";
import { planRun } from "../../src/session/plan-run.js";
import { createProcessRunner } from "../../src/session/process-runner.js";
import { type RunOutcome, runSession } from "../../src/session/run-session.js";
import { openTaskFile } from "../../src/task/open-task-file.js";
import type { Credentials } from "../helpers/sandbox.js";
import {
  ACCOUNT,
  CHILD,
  CLI_CHILD,
  type E2eProject,
  expectRevoked,
  FIXTURES,
  REGION,
  readJson,
  readLog,
  runTaskaccess,
  SDK_CHILD,
  sessionRecords,
  startProject,
  stopRun,
  VERSION,
  waitForFile,
} from "./helpers.js";

// `run --credentials server`: the command gets a container-credentials endpoint instead of keys.
// The long tests drive the run lifecycle in this process (runSession with the real STS and IAM
// adapters, the real process runner and the real session log) so that the credential server's
// clock can be the sandbox's: the test moves both at once, through expiry after expiry, while a
// real JS SDK program and a real AWS CLI script keep working. The rest run the built CLI.

const SDK_LOOP_CHILD = join(FIXTURES, "sdk-loop-child.mjs");
const CLI_LOOP_CHILD = join(FIXTURES, "cli-loop-child.sh");
/** The role's MaxSessionDuration in this world: the rounds below add up to more. */
const ROLE_MAX_SECONDS = 3600;
/**
 * Sandbox seconds to move on before each round after the first, with the 900 s lifetime the task
 * asks for: 60 s leaves the credentials well outside the 300 s refresh window (same session); 640 s
 * more puts them inside it while still valid (refreshed before expiry); each 901 s then takes the
 * served credentials past their expiry. 4,304 s in all: more than the role's one-hour maximum.
 */
const ADVANCES = [60, 640, 901, 901, 901, 901];
/** Round N is served by this STS session: the first (r0) or refresh rN. */
const EXPECTED_REFRESH = [0, 0, 1, 2, 3, 4, 5];

let project: E2eProject;

beforeAll(async () => {
  const world = defaultWorld();
  for (const account of world.accounts) {
    for (const role of account.roles ?? []) {
      if (role.name === "deployer") role.maxSessionDuration = ROLE_MAX_SECONDS;
    }
  }
  project = await startProject(undefined, { world });
});
afterAll(async () => {
  await project?.close();
});

interface InProcessRun {
  done: Promise<RunOutcome>;
  warnings: string[];
}

// The lifecycle of `taskaccess run --credentials server deploy -- COMMAND`, wired as
// src/cli/commands/run.ts wires it, except the clock: the sandbox's, for event times and for the
// credential server's refresh decisions. The revoker keeps the real clock, as in the CLI.
async function runInProcess(command: string[]): Promise<InProcessRun> {
  const { sandbox, base } = project;
  const taskFile = await openTaskFile({ cwd: project.dir, file: undefined, envFile: undefined });
  const env = project.env();
  const plan = await planRun(taskFile, {
    taskName: "deploy",
    params: { version: VERSION },
    command,
    nested: false,
    credentials: "server",
    env,
    localUser: "tester",
    random: cryptoRandom,
  });
  const audit = await openAuditLog({ flag: project.logPath, env: {}, taskFile, cwd: project.dir });
  const clientOptions = {
    region: REGION,
    endpoint: sandbox.endpoint,
    credentials: { accessKeyId: base.accessKeyId, secretAccessKey: base.secretAccessKey },
  };
  const warnings: string[] = [];
  const done = runSession(plan, {
    issuer: createStsIssuer(clientOptions),
    revoker: createIamRevoker({ ...clientOptions, clock: { now: Date.now } }),
    runner: createProcessRunner({ on: () => {}, off: () => {} }),
    audit,
    clock: { now: () => sandbox.clock.now() },
    host: hostname(),
    cwd: project.dir,
    env,
    argv: command,
    pid: process.pid,
    isolation: { applied: "none" },
    interrupt: new AbortController().signal,
    interruptedBy: () => undefined,
    warn: (message) => warnings.push(message),
  });
  return { done, warnings };
}

interface Fetched {
  status: number | "refused";
  body: string;
}

// A GET as an SDK sends it: the token as the Authorization header, verbatim.
function fetchEndpoint(uri: string, token?: string, path?: string): Promise<Fetched> {
  const url = new URL(uri);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: path ?? url.pathname,
        method: "GET",
        headers: token === undefined ? {} : { authorization: token },
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNREFUSED") resolve({ status: "refused", body: "" });
      else reject(error);
    });
    req.end();
  });
}

function sessionNameOf(arn: string | undefined): string {
  return arn?.slice(arn.lastIndexOf("/") + 1) ?? "";
}

function expectedSessionName(session: string, refresh: number): string {
  return `ta-deploy-${session}${refresh > 0 ? `-r${refresh}` : ""}`;
}

// What every long run must leave behind: the endpoint closed, each STS session logged as issued
// and as revoked, in a log whose chain verifies, and each session's credentials refused by a
// revoke policy even once the clock is set back to when they were all still unexpired.
async function expectCleanEnd(input: {
  outcome: RunOutcome;
  uri: string;
  token: string;
  sessions: string[];
  credentials: Credentials[];
}): Promise<LogRecord[]> {
  const { outcome } = input;
  expect(outcome.exitCode).toBe(0);
  expect(outcome.failure).toBeUndefined();
  expect(outcome.revoked).toBe(true);
  expect(outcome.refreshes).toBe(5);
  expect(await fetchEndpoint(input.uri, input.token)).toEqual({ status: "refused", body: "" });

  const records = sessionRecords(readLog(project.logPath), outcome.sessionId);
  expect(records.map((record) => record.event)).toEqual([
    "session.start",
    "revocation.ready",
    "credentials.issued",
    "process.start",
    ...Array(5).fill("credentials.issued"),
    "process.exit",
    ...Array(6).fill("session.revoked"),
    "session.end",
  ]);
  const issued = records.filter((record) => record.event === "credentials.issued");
  expect(issued.map((record) => record.sessionName)).toEqual(input.sessions);
  expect(issued.map((record) => record.refresh)).toEqual([undefined, 1, 2, 3, 4, 5]);
  expect(new Set(issued.map((record) => record.accessKeyId)).size).toBe(6);
  const revoked = records.filter((record) => record.event === "session.revoked");
  expect(revoked.map((record) => record.sessionName)).toEqual(input.sessions);
  for (const record of revoked) expect(record.policyName).toMatch(/^taskaccess-revoke-\d+-/);
  expect(records[0]).toMatchObject({ event: "session.start", credentialDelivery: "server" });
  expect(records.at(-1)).toMatchObject({ event: "session.end", exitCode: 0, revoked: true });
  expect((await verifySessionLog(project.logPath)).ok).toBe(true);

  // Set the sandbox back to the start: every session's credentials are unexpired again, and each
  // must now be refused because of its revoke policy.
  const total = ADVANCES.reduce((sum, seconds) => sum + seconds, 0);
  project.sandbox.clock.advance(-total * 1000);
  try {
    for (const credentials of input.credentials) await expectRevoked(project, credentials);
  } finally {
    project.sandbox.clock.advance(total * 1000);
  }
  return records;
}

// One round of a loop child: after the first, moves the sandbox clock on by that round's advance
// and lets the child go on; then waits for the child's report of the round (or the run's end).
async function nextRound(
  dir: string,
  round: number,
  done: Promise<unknown>,
  timeoutMs: number,
): Promise<string> {
  if (round > 0) {
    project.sandbox.clock.advance((ADVANCES[round - 1] ?? 0) * 1000);
    writeFileSync(join(dir, `go-${round}`), "");
  }
  const file = join(dir, `round-${round}.json`);
  await Promise.race([
    waitForFile(file, timeoutMs),
    done.then((outcome) => {
      throw new Error(`the run ended first: ${JSON.stringify(outcome)}`);
    }),
  ]);
  return file;
}

describe("run --credentials server, with the sandbox clock moving past expiry after expiry", () => {
  it("keeps a JS SDK program with long-lived clients working across five refreshes", async () => {
    const dir = project.path("sdk-loop");
    mkdirSync(dir);
    const rounds = ADVANCES.length + 1;
    const run = await runInProcess(["node", SDK_LOOP_CHILD, dir, VERSION, String(rounds)]);
    const started = project.sandbox.clock.now();
    const reports: {
      identity: { Arn?: string; code?: string };
      put: { ok: boolean; code?: string };
      credentials: Credentials & { expiration: string };
      s3AccessKeyId: string;
      endpoint: { uri: string; token: string };
      keyVariables: string[];
    }[] = [];
    try {
      for (let round = 0; round < rounds; round++) {
        const file = await nextRound(dir, round, run.done, 20_000);
        reports.push(readJson(file));
      }
    } finally {
      writeFileSync(join(dir, `go-${rounds}`), "");
    }
    const outcome = await run.done;
    expect(run.warnings).toEqual([]);
    expect(project.sandbox.clock.now() - started).toBeGreaterThan(ROLE_MAX_SECONDS * 1000);

    const sessions = [0, 1, 2, 3, 4, 5].map((n) => expectedSessionName(outcome.sessionId, n));
    reports.forEach((report, round) => {
      const name = expectedSessionName(outcome.sessionId, EXPECTED_REFRESH[round] ?? -1);
      expect(report.identity, `round ${round}`).toEqual({
        Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/${name}`,
      });
      expect(report.put, `round ${round}`).toEqual({ ok: true });
      expect(report.s3AccessKeyId).toBe(report.credentials.accessKeyId);
      expect(report.keyVariables).toEqual([]);
      // The Expiration the SDK got is the STS session's own, on the sandbox's clock.
      const issued = sessionRecords(readLog(project.logPath), outcome.sessionId)
        .filter((record) => record.event === "credentials.issued")
        .find((record) => record.sessionName === name);
      expect(issued?.accessKeyId).toBe(report.credentials.accessKeyId);
      expect(Date.parse(report.credentials.expiration)).toBe(
        Math.floor(Date.parse(String(issued?.expiration)) / 1000) * 1000,
      );
    });
    expect(reports[1]?.credentials.accessKeyId).toBe(reports[0]?.credentials.accessKeyId);
    const first = reports[0];
    if (!first) throw new Error("no rounds");
    await expectCleanEnd({
      outcome,
      uri: first.endpoint.uri,
      token: first.endpoint.token,
      sessions,
      // One set per STS session (rounds 0 and 1 share the first).
      credentials: reports
        .filter((_, round) => round !== 1)
        .map(({ credentials: { expiration: _, ...keys } }) => keys),
    });
  });

  it("keeps an AWS CLI script working across five refreshes", async () => {
    const dir = project.path("cli-loop");
    mkdirSync(dir);
    const rounds = ADVANCES.length + 1;
    const run = await runInProcess(["sh", CLI_LOOP_CHILD, dir, VERSION, String(rounds)]);
    const reports: {
      identityRc: number;
      arn: string;
      putRc: number;
      uri: string;
      token: string;
      keyVariables: string;
    }[] = [];
    // The AWS CLI does not say which keys it used; this test fetches what the endpoint served, with
    // the token the child was given, as a third client of the same endpoint.
    const served: Credentials[] = [];
    try {
      for (let round = 0; round < rounds; round++) {
        const file = await nextRound(dir, round, run.done, 30_000);
        const report = readJson<(typeof reports)[number]>(file);
        reports.push(report);
        const fetched = await fetchEndpoint(report.uri, report.token);
        expect(fetched.status, JSON.stringify(report)).toBe(200);
        const body = JSON.parse(fetched.body) as Record<string, string>;
        served.push({
          accessKeyId: body.AccessKeyId ?? "",
          secretAccessKey: body.SecretAccessKey ?? "",
          sessionToken: body.Token ?? "",
        });
      }
    } finally {
      writeFileSync(join(dir, `go-${rounds}`), "");
    }
    const outcome = await run.done;
    expect(run.warnings).toEqual([]);
    reports.forEach((report, round) => {
      const name = expectedSessionName(outcome.sessionId, EXPECTED_REFRESH[round] ?? -1);
      expect({ identityRc: report.identityRc, putRc: report.putRc }, `round ${round}`).toEqual({
        identityRc: 0,
        putRc: 0,
      });
      expect(report.arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/deployer/${name}`);
      expect(report.keyVariables).toBe("");
    });
    const sessions = [0, 1, 2, 3, 4, 5].map((n) => expectedSessionName(outcome.sessionId, n));
    const records = await expectCleanEnd({
      outcome,
      uri: reports[0]?.uri ?? "",
      token: reports[0]?.token ?? "",
      sessions,
      // One set per STS session (rounds 0 and 1 share the first).
      credentials: served.filter((_, round) => round !== 1),
    });
    const issuedKeys = records.filter((r) => r.event === "credentials.issued").map((r) => r.accessKeyId);
    expect(served.filter((_, round) => round !== 1).map((c) => c.accessKeyId)).toEqual(issuedKeys);
    expect(sessionNameOf(reports.at(-1)?.arn)).toBe(sessions.at(-1));
  });
});

describe("run --credentials server, the built CLI", () => {
  it("serves a JS SDK program and an AWS CLI script, without key variables, and revokes after", async () => {
    const sdkOut = project.path("server-sdk");
    const sdk = await project.run({
      options: ["--credentials", "server"],
      command: ["node", SDK_CHILD, sdkOut, VERSION],
    });
    expect(sdk.code, sdk.stderr).toBe(0);
    const report = readJson<{
      identity: { Arn: string };
      allowed: { ok: boolean };
      denied: { code: string };
      credentials: Credentials;
      session: string;
      envNames: string[];
    }>(sdkOut);
    expect(report.identity.Arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-deploy-${report.session}`,
    );
    expect(report.allowed).toEqual({ ok: true });
    expect(report.denied.code).toBe("AccessDenied");
    expect(report.envNames).toEqual(
      expect.arrayContaining(["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"]),
    );
    for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]) {
      expect(report.envNames).not.toContain(name);
    }
    await expectRevoked(project, report.credentials);
    const records = sessionRecords(readLog(project.logPath), report.session);
    expect(records[0]).toMatchObject({ event: "session.start", credentialDelivery: "server" });
    expect(records.at(-1)).toMatchObject({ event: "session.end", exitCode: 0, revoked: true });

    const cliDir = project.path("server-cli");
    mkdirSync(cliDir);
    const cli = await project.run({
      options: ["--credentials", "server"],
      command: ["sh", CLI_CHILD, cliDir, VERSION],
    });
    expect(cli.code, cli.stderr).toBe(0);
    const identity = readJson<{ Arn: string }>(join(cliDir, "identity.json"));
    const cliSession = readJson<{ session: string }>(join(cliDir, "credentials.json")).session;
    expect(identity.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-deploy-${cliSession}`);
    expect(readFileSync(join(cliDir, "allowed.rc"), "utf8").trim()).toBe("0");
    expect(readFileSync(join(cliDir, "denied.rc"), "utf8").trim()).not.toBe("0");
    expect(readFileSync(join(cliDir, "denied.err"), "utf8")).toMatch(/AccessDenied/);
    const names = readFileSync(join(cliDir, "env-names"), "utf8").split("\n");
    expect(names).toContain("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    expect(names).not.toContain("AWS_ACCESS_KEY_ID");
  });

  it("refuses requests without the token, and stops answering when the task ends", async () => {
    const out = project.path("endpoint");
    const release = project.path("release");
    const running = project.start({
      options: ["--credentials", "server"],
      command: ["node", CHILD, out, `wait:${release}`],
    });
    try {
      await waitForFile(out, 15_000, running);
      const { containerUri: uri, containerToken: token } = readJson<{
        containerUri: string;
        containerToken: string;
      }>(out);
      expect(uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/taskaccess\/[0-9a-f]{32}$/);
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      expect((await fetchEndpoint(uri)).status).toBe(401);
      expect((await fetchEndpoint(uri, "0".repeat(64))).status).toBe(403);
      expect((await fetchEndpoint(uri, `Bearer ${token}`)).status).toBe(403);
      expect((await fetchEndpoint(uri, token, "/taskaccess/other")).status).toBe(404);
      const served = await fetchEndpoint(uri, token);
      expect(served.status).toBe(200);
      const body = JSON.parse(served.body) as Record<string, string>;
      expect(Object.keys(body).sort()).toEqual(
        ["AccessKeyId", "AccountId", "Expiration", "SecretAccessKey", "Token"].sort(),
      );
      expect(body.AccountId).toBe(ACCOUNT);
      expect(body.Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      writeFileSync(release, "");
      const result = await running.done;
      expect(result.code, result.stderr).toBe(0);
      expect(await fetchEndpoint(uri, token)).toEqual({ status: "refused", body: "" });
      await expectRevoked(project, {
        accessKeyId: body.AccessKeyId ?? "",
        secretAccessKey: body.SecretAccessKey ?? "",
        sessionToken: body.Token ?? "",
      });
    } finally {
      writeFileSync(release, "");
      await stopRun(running);
    }
  });

  it("takes the mode from the task file, lets --credentials override it, and refuses an unknown one", async () => {
    const taskFile = join(project.dir, "server-tasks.yaml");
    writeFileSync(
      taskFile,
      readFileSync(join(project.dir, "taskaccess.yaml"), "utf8").replace(
        "    reason: optional\n  deploy-timeout:",
        "    reason: optional\n    credentials: server\n  deploy-timeout:",
      ),
    );
    const preview = await runTaskaccess(project, ["--file", taskFile, ...printEnvArgs([])]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(
      /^set: AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_REGION /m,
    );
    const overridden = await runTaskaccess(project, [
      "--file",
      taskFile,
      ...printEnvArgs(["--credentials", "env"]),
    ]);
    expect(overridden.stdout).toMatch(/^set: AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN /m);
    const file = await runTaskaccess(project, printEnvArgs(["--credentials", "file"]));
    expect(file.stdout).toMatch(/^set: AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_PROFILE AWS_REGION /m);
    const bad = await runTaskaccess(project, printEnvArgs(["--credentials", "keys"]));
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--credentials "keys" is not a way to deliver credentials/);
  });
});

function printEnvArgs(options: string[]): string[] {
  return ["run", "deploy", "--param", `version=${VERSION}`, ...options, "--print-env", "--", "true"];
}
