import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Credentials } from "../helpers/sandbox.js";
import {
  ACCOUNT,
  CHILD,
  CLI_CHILD,
  type E2eProject,
  expectRevoked,
  FULL_SESSION,
  readJson,
  readLog,
  SDK_CHILD,
  sessionRecords,
  startProject,
  stopRun,
  VERSION,
  waitForFile,
} from "./helpers.js";

// `run --credentials file`: the command gets a temporary shared config and credentials file with
// one profile, for tools that read only profiles. Real clients (the JS SDK, the AWS CLI) must work
// from them, and nothing may be left behind however the run ends. TMPDIR points into the project,
// so "nothing left" is checked on a directory that only these runs use.

let project: E2eProject;
let tmp: string;

beforeAll(async () => {
  project = await startProject();
  tmp = join(project.dir, "tmp");
  mkdirSync(tmp);
});
afterAll(async () => {
  await project.close();
});
beforeEach(() => {
  expect(readdirSync(tmp)).toEqual([]);
});

interface Seen {
  session: string;
  envNames: string[];
  profile: string;
  configFile: string;
  credentialsFile: string;
  modes: { directory: number; config: number; credentials: number };
}

const env = () => ({ TMPDIR: tmp });

// What the child saw: the two files, in one fresh directory under TMPDIR, with only the profile
// variables (no keys, no endpoint) to find them.
function expectHandedFiles(seen: Seen): void {
  expect(seen.profile).toBe("taskaccess");
  expect(seen.configFile).toMatch(new RegExp(`^${tmp}/taskaccess-${seen.session}-[^/]+/config$`));
  expect(seen.credentialsFile).toBe(join(seen.configFile, "..", "credentials"));
  expect(seen.modes).toEqual({ directory: 0o700, config: 0o600, credentials: 0o600 });
  for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
    expect(seen.envNames).not.toContain(name);
  }
  expect(seen.envNames.filter((name) => name.startsWith("AWS_CONTAINER_"))).toEqual([]);
}

function expectNothingLeft(seen: Seen): void {
  expect(existsSync(seen.configFile)).toBe(false);
  expect(existsSync(seen.credentialsFile)).toBe(false);
  expect(readdirSync(tmp)).toEqual([]);
}

// `sh -c` runs the recording child, then the real client, in the same environment.
function both(out: string, client: string[]): string[] {
  return ["sh", "-c", 'node "$0" "$1" && shift && exec "$@"', CHILD, out, ...client];
}

describe("run --credentials file", () => {
  it("works for a JS SDK program, and removes the files after a normal exit", async () => {
    const out = project.path("seen");
    const sdkOut = project.path("sdk");
    const run = await project.run({
      options: ["--credentials", "file"],
      env: env(),
      command: both(out, ["node", SDK_CHILD, sdkOut, VERSION]),
    });
    expect(run.code, run.stderr).toBe(0);
    const seen = readJson<Seen>(out);
    expectHandedFiles(seen);
    const report = readJson<{
      identity: { Arn: string };
      allowed: { ok: boolean };
      denied: { code: string };
      credentials: Credentials;
      region: string;
    }>(sdkOut);
    expect(report.identity.Arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-deploy-${seen.session}`,
    );
    expect(report.allowed).toEqual({ ok: true });
    expect(report.denied.code).toBe("AccessDenied");
    expect(report.region).toBe("eu-west-1");
    expectNothingLeft(seen);
    await expectRevoked(project, report.credentials);
    const records = sessionRecords(readLog(project.logPath), seen.session);
    expect(records.map((record) => record.event)).toEqual(FULL_SESSION);
    expect(records[0]).toMatchObject({ credentialDelivery: "file" });
  });

  it("works for the AWS CLI, and removes the files after a failing command", async () => {
    const out = project.path("seen");
    const dir = project.path("cli");
    mkdirSync(dir);
    const run = await project.run({
      options: ["--credentials", "file"],
      env: env(),
      command: [
        "sh",
        "-c",
        'node "$0" "$1" && sh "$2" "$3" "$4"; exit 3',
        CHILD,
        out,
        CLI_CHILD,
        dir,
        VERSION,
      ],
    });
    expect(run.code, run.stderr).toBe(3);
    const seen = readJson<Seen>(out);
    expectHandedFiles(seen);
    const identity = readJson<{ Arn: string }>(join(dir, "identity.json"));
    expect(identity.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-deploy-${seen.session}`);
    expect(readFileSync(join(dir, "allowed.rc"), "utf8").trim()).toBe("0");
    expect(readFileSync(join(dir, "denied.err"), "utf8")).toMatch(/AccessDenied/);
    expectNothingLeft(seen);
  });

  it("removes the files when taskaccess is told to stop (SIGTERM)", async () => {
    const out = project.path("seen");
    const running = project.start({
      options: ["--credentials", "file"],
      env: env(),
      command: ["node", CHILD, out, "sleep:60000"],
    });
    try {
      await waitForFile(out, 15_000, running);
      const seen = readJson<Seen & { pid: number }>(out);
      expectHandedFiles(seen);
      expect(existsSync(seen.credentialsFile)).toBe(true);
      running.child.kill("SIGTERM");
      const result = await running.done;
      expect(result.code, result.stderr).toBe(143);
      expectNothingLeft(seen);
      const records = sessionRecords(readLog(project.logPath), seen.session);
      expect(records.at(-1)).toMatchObject({ event: "session.end", exitCode: 143, revoked: true });
    } finally {
      await stopRun(running);
    }
  });

  it("removes the files when the task's timeout stops the command", async () => {
    const out = project.path("seen");
    const run = await project.run({
      task: "deploy-timeout",
      options: ["--credentials", "file"],
      env: env(),
      command: ["node", CHILD, out, "sleep:60000"],
    });
    expect(run.code, run.stderr).toBe(143);
    const seen = readJson<Seen>(out);
    expectHandedFiles(seen);
    expectNothingLeft(seen);
    const records = sessionRecords(readLog(project.logPath), seen.session);
    expect(records.find((record) => record.event === "process.exit")).toMatchObject({ timedOut: true });
    expect(records.at(-1)).toMatchObject({ event: "session.end", revoked: true });
  });

  it("removes the files when the command cannot be started", async () => {
    const run = await project.run({
      options: ["--credentials", "file"],
      env: env(),
      command: ["./no-such-command"],
    });
    expect(run.code).toBe(127);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
