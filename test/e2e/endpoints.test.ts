import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultWorld } from "../../src/sandbox/world.js";
import {
  ACCOUNT,
  type E2eProject,
  expectRevoked,
  RECORD,
  readLog,
  readRecorded,
  sessionCredentials,
  startProject,
  TASK_FILE,
} from "./helpers.js";

// Endpoints as the SDKs resolve them (issue 11, item 3): --endpoint-url is STS's alone (an STS VPC
// endpoint must not take revocation away from IAM); IAM follows AWS_ENDPOINT_URL_IAM,
// AWS_ENDPOINT_URL, the profile's endpoint_url, or --iam-endpoint-url; and --profile NAME is
// AWS_PROFILE=NAME, endpoint included.

/** Nothing listens on port 1: a request there is refused at once. */
const NOWHERE = "http://127.0.0.1:1";

let project: E2eProject;
beforeAll(async () => {
  project = await startProject();
});
afterAll(async () => {
  await project?.close();
});

const noEndpointEnv = { AWS_ENDPOINT_URL: undefined };

// The base identity from the shared files alone: no keys and no endpoint in the environment.
function filesOnlyEnv(config: string, credentials?: string): Record<string, string | undefined> {
  return {
    ...noEndpointEnv,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_CONFIG_FILE: config,
    ...(credentials ? { AWS_SHARED_CREDENTIALS_FILE: credentials } : {}),
  };
}

// One run of the task with these flags and environment: it succeeds, and its credentials are
// refused afterwards.
async function runAndExpectRevoked(
  on: E2eProject,
  what: string,
  options: readonly string[],
  env: Record<string, string | undefined>,
): Promise<void> {
  const out = on.path("profile");
  const result = await on.run({ options: [...options], env, command: ["sh", RECORD, out] });
  expect(result.code, `${what}: ${result.stderr}`).toBe(0);
  await expectRevoked(on, sessionCredentials(readRecorded(out)), what);
}

describe("endpoints", () => {
  it("--endpoint-url is STS's: IAM still goes where AWS_ENDPOINT_URL_IAM says, and nothing is issued when it cannot be reached", async () => {
    const before = existsSync(project.logPath) ? readLog(project.logPath).length : 0;
    const out = project.path("sts-only");
    const result = await project.run({
      options: ["--endpoint-url", project.sandbox.endpoint],
      env: { ...noEndpointEnv, AWS_ENDPOINT_URL_IAM: NOWHERE },
      command: ["sh", RECORD, out],
    });
    expect(result.code, result.stderr).toBe(69);
    expect(result.stderr).toMatch(
      /error: No way to revoke sessions of arn:aws:iam::123456789012:role\/deployer, so nothing was issued: .*ECONNREFUSED/,
    );
    const records = readLog(project.logPath).slice(before);
    expect(records.map((record) => record.event)).toEqual(["session.start", "session.end"]);
    const start = records[0];
    if (start?.event !== "session.start") throw new Error("no session.start");
    const issued = [...project.sandbox.state.credentials.values()].filter(
      (record) => record.kind === "session" && record.sessionName === start.sessionName,
    );
    expect(issued).toEqual([]);
  });

  it("runs and revokes with --endpoint-url for STS and AWS_ENDPOINT_URL_IAM, or --iam-endpoint-url, for IAM", async () => {
    for (const [what, options, env] of [
      ["AWS_ENDPOINT_URL_IAM", [], { AWS_ENDPOINT_URL_IAM: project.sandbox.endpoint }],
      [
        "--iam-endpoint-url",
        ["--iam-endpoint-url", project.sandbox.endpoint],
        { AWS_ENDPOINT_URL_IAM: NOWHERE },
      ],
    ] as const) {
      const out = project.path("split");
      const result = await project.run({
        options: ["--endpoint-url", project.sandbox.endpoint, ...options],
        env: { ...noEndpointEnv, ...env },
        command: ["sh", RECORD, out],
      });
      expect(result.code, `${what}: ${result.stderr}`).toBe(0);
      await expectRevoked(project, sessionCredentials(readRecorded(out)), what);
    }
  });

  it("--profile NAME reads that profile's endpoint_url exactly as AWS_PROFILE=NAME does", async () => {
    const config = join(project.dir, "aws-config");
    writeFileSync(
      config,
      `[profile sandbox]\nregion = eu-west-1\nendpoint_url = ${project.sandbox.endpoint}\naws_access_key_id = ${project.base.accessKeyId}\naws_secret_access_key = ${project.base.secretAccessKey}\n`,
    );
    const env = filesOnlyEnv(config);
    for (const [what, options, extra] of [
      ["--profile sandbox", ["--profile", "sandbox"], {}],
      ["AWS_PROFILE=sandbox", [], { AWS_PROFILE: "sandbox" }],
    ] as const) {
      await runAndExpectRevoked(project, what, options, { ...env, ...extra });
    }
  });
});

// A profile that assumes a role (role_arn + source_profile): the SDK's own AssumeRole for it runs in
// a nested STS client that reads AWS_PROFILE's endpoint only, so `--profile ci` went to the real
// STS (or to AWS_PROFILE's endpoint) instead of the profile's endpoint_url.
describe("endpoints of a profile that assumes a role", () => {
  let chained: E2eProject;
  beforeAll(async () => {
    const world = defaultWorld();
    const account = world.accounts[0];
    const base = account?.users?.[0];
    if (!account?.roles || !base?.policies) throw new Error("the default world changed");
    // The CI role the profile assumes: what the base user may do, so it can issue and revoke.
    account.roles.push({
      name: "ci",
      trust: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/base` },
            Action: "sts:AssumeRole",
          },
        ],
      },
      policies: base.policies,
    });
    chained = await startProject(TASK_FILE, { world });
  });
  afterAll(async () => {
    await chained?.close();
  });

  it("--profile NAME sends NAME's own AssumeRole to NAME's endpoint_url, as AWS_PROFILE=NAME does", async () => {
    const config = join(chained.dir, "aws-config-chained");
    const credentials = join(chained.dir, "aws-credentials-chained");
    writeFileSync(
      config,
      [
        "[profile ci]",
        `role_arn = arn:aws:iam::${ACCOUNT}:role/ci`,
        "source_profile = keys",
        "role_session_name = ci-runner",
        `endpoint_url = ${chained.sandbox.endpoint}`,
        "[profile keys]",
        `endpoint_url = ${chained.sandbox.endpoint}`,
        "[profile elsewhere]",
        `endpoint_url = ${NOWHERE}`,
        "",
      ].join("\n"),
    );
    writeFileSync(
      credentials,
      `[keys]\naws_access_key_id = ${chained.base.accessKeyId}\naws_secret_access_key = ${chained.base.secretAccessKey}\n`,
    );
    const env = filesOnlyEnv(config, credentials);
    for (const [what, options, extra] of [
      ["--profile ci", ["--profile", "ci"], {}],
      ["--profile ci with AWS_PROFILE=elsewhere", ["--profile", "ci"], { AWS_PROFILE: "elsewhere" }],
      ["AWS_PROFILE=ci", [], { AWS_PROFILE: "ci" }],
    ] as const) {
      const before = existsSync(chained.logPath) ? readLog(chained.logPath).length : 0;
      await runAndExpectRevoked(chained, what, options, { ...env, ...extra });
      const callers = readLog(chained.logPath)
        .slice(before)
        .map((record) => record.caller)
        .filter((caller) => caller);
      expect(new Set(callers), what).toEqual(new Set([`arn:aws:sts::${ACCOUNT}:assumed-role/ci/ci-runner`]));
    }
  });
});
