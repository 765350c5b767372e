import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type E2eProject,
  expectRevoked,
  RECORD,
  readLog,
  readRecorded,
  sessionCredentials,
  startProject,
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
    const env = {
      ...noEndpointEnv,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_CONFIG_FILE: config,
    };
    for (const [what, options, extra] of [
      ["--profile sandbox", ["--profile", "sandbox"], {}],
      ["AWS_PROFILE=sandbox", [], { AWS_PROFILE: "sandbox" }],
    ] as const) {
      const out = project.path("profile");
      const result = await project.run({
        options: [...options],
        env: { ...env, ...extra },
        command: ["sh", RECORD, out],
      });
      expect(result.code, `${what}: ${result.stderr}`).toBe(0);
      await expectRevoked(project, sessionCredentials(readRecorded(out)), what);
    }
  });
});
