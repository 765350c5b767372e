import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACCOUNT,
  CHILD,
  CLI_CHILD,
  DEPLOYER,
  type E2eProject,
  expectRevoked,
  FULL_SESSION,
  lastLine,
  type PutOutcome,
  RECORD,
  REGION,
  readJson,
  readLog,
  readRecorded,
  SDK_CHILD,
  sessionCredentials,
  sessionRecords,
  startProject,
  summaryPattern,
  VERSION,
} from "./helpers.js";

// `taskaccess run` around real programs that use AWS: a Node script on the JS SDK v3 and a shell
// script on the AWS CLI. Each must act as the task's session (not the base identity, not anything
// inherited), be allowed what the task allows and refused the rest, and be refused everything
// once run has returned.

let project: E2eProject;

beforeAll(async () => {
  project = await startProject();
});
afterAll(async () => {
  await project.close();
});

interface SdkReport {
  identity: { Arn?: string; UserId?: string; Account?: string; error?: string };
  allowed: PutOutcome;
  denied: PutOutcome;
  deniedOtherBucket: PutOutcome;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  session: string;
  task: string;
  env: Record<string, string | null>;
  envNames: string[];
}

const ASSUMED_ARN = new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-deploy-([a-z2-7]{12})$`);

function expectTaskSession(report: SdkReport): void {
  expect(report.identity.Arn).toMatch(ASSUMED_ARN);
  expect(report.identity.Arn).toBe(
    `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-deploy-${report.session}`,
  );
  const roleId = project.sandbox.state.findRole(ACCOUNT, "deployer")?.roleId;
  expect(report.identity).toEqual({
    Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-deploy-${report.session}`,
    UserId: `${roleId}:ta-deploy-${report.session}`,
    Account: ACCOUNT,
  });
  expect(report.allowed).toEqual({ ok: true });
  expect(report.denied).toEqual({ ok: false, code: "AccessDenied", status: 403 });
  expect(report.deniedOtherBucket).toEqual({ ok: false, code: "AccessDenied", status: 403 });
  expect(report.credentials.accessKeyId).toMatch(/^ASIA/);
  expect(report.credentials.accessKeyId).not.toBe(project.base.accessKeyId);
  expect(report.region).toBe(REGION);
  expect(report.env).toEqual({
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    TASKACCESS_SESSION: report.session,
    TASKACCESS_TASK: "deploy",
  });
}

describe("a child on the AWS SDK for JavaScript v3", () => {
  it("is the task's session, may write under releases/app/<version>/, nothing else, and nothing once run returned", async () => {
    const out = project.path("sdk");
    const result = await project.run({ command: [process.execPath, SDK_CHILD, out, VERSION] });
    expect(result.code).toBe(0);
    const report = readJson<SdkReport>(out);
    expectTaskSession(report);
    // Nothing on stderr but the summary; the child printed nothing.
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      expect.stringMatching(/^taskaccess: log \S+ head [0-9a-f]{64} \(check it later: /),
      lastLine(result.stderr),
    ]);
    expect(lastLine(result.stderr)).toMatch(summaryPattern("deploy", report.session, "exit 0"));
    expect(result.stdout).toBe("");

    // The object it was allowed to write is there; the refused one is not.
    const releases = project.sandbox.state.buckets.get("releases");
    expect(releases?.objects.get(`app/${VERSION}/x`)?.body.toString()).toBe("from the JS SDK child");
    expect(releases?.objects.has("app/9.9.9/x")).toBe(false);

    const events = sessionRecords(readLog(project.logPath), report.session);
    expect(events.map((record) => record.event)).toEqual(FULL_SESSION);
    const issued = events[2];
    expect(issued).toMatchObject({
      event: "credentials.issued",
      role: DEPLOYER,
      accessKeyId: report.credentials.accessKeyId,
      assumedRoleArn: report.identity.Arn,
    });

    await expectRevoked(project, sessionCredentials(report.credentials));
  });
});

describe("a child on the AWS CLI", () => {
  it("is the task's session, may write under releases/app/<version>/, nothing else, and nothing once run returned", async () => {
    const dir = project.path("cli");
    mkdirSync(dir);
    const result = await project.run({ command: ["sh", CLI_CHILD, dir, VERSION] });
    expect(result.code).toBe(0);
    const read = (name: string) => readFileSync(join(dir, name), "utf8");
    const recorded = readJson<{
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken: string;
      session: string;
      task: string;
      region: string;
    }>(join(dir, "credentials.json"));
    expect(recorded.task).toBe("deploy");
    expect(recorded.region).toBe(REGION);

    expect({ rc: read("identity.rc").trim(), err: read("identity.err") }).toEqual({ rc: "0", err: "" });
    const roleId = project.sandbox.state.findRole(ACCOUNT, "deployer")?.roleId;
    expect(JSON.parse(read("identity.json"))).toEqual({
      UserId: `${roleId}:ta-deploy-${recorded.session}`,
      Account: ACCOUNT,
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-deploy-${recorded.session}`,
    });
    expect({ rc: read("allowed.rc").trim(), err: read("allowed.err") }).toEqual({ rc: "0", err: "" });
    // A service error makes CLI v1 exit 255 (v2: 254).
    expect(["254", "255"]).toContain(read("denied.rc").trim());
    expect(read("denied.err")).toMatch(
      /An error occurred \(AccessDenied\) when calling the PutObject operation/,
    );
    expect(
      project.sandbox.state.buckets.get("releases")?.objects.get(`app/${VERSION}/x`)?.body.toString(),
    ).toBe("from the AWS CLI child\n");

    const names = read("env-names").trim().split("\n");
    expect(names).toEqual(
      expect.arrayContaining(["AWS_EC2_METADATA_DISABLED", "TASKACCESS_SESSION", "TASKACCESS_TASK"]),
    );
    expect(names).not.toContain("AWS_CONFIG_FILE");
    expect(names).not.toContain("AWS_SHARED_CREDENTIALS_FILE");

    expect(lastLine(result.stderr)).toMatch(summaryPattern("deploy", recorded.session, "exit 0"));
    const events = sessionRecords(readLog(project.logPath), recorded.session);
    expect(events.map((record) => record.event)).toEqual(FULL_SESSION);
    await expectRevoked(project, sessionCredentials(recorded));
  });
});

describe("credentials inherited by taskaccess", () => {
  // Every way a parent environment can carry or select AWS credentials. The base identity comes
  // from a profile (so AWS_PROFILE is honoured by taskaccess itself); the rest are decoys.
  const inherited = (dir: string): Record<string, string> => {
    const credentialsFile = join(dir, "inherited-credentials");
    writeFileSync(
      credentialsFile,
      `[inherited]\naws_access_key_id = ${project.base.accessKeyId}\naws_secret_access_key = ${project.base.secretAccessKey}\n`,
    );
    const tokenFile = join(dir, "web-identity-token");
    writeFileSync(tokenFile, "inherited-web-identity-token");
    return {
      AWS_ACCESS_KEY_ID: undefined as unknown as string,
      AWS_SECRET_ACCESS_KEY: undefined as unknown as string,
      AWS_PROFILE: "inherited",
      AWS_DEFAULT_PROFILE: "inherited",
      AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
      AWS_SESSION_TOKEN: "inherited-session-token",
      AWS_SECURITY_TOKEN: "inherited-security-token",
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/reader`,
      AWS_ROLE_SESSION_NAME: "inherited-session",
      AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://127.0.0.1:9/inherited",
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/inherited",
      AWS_CONTAINER_AUTHORIZATION_TOKEN: "inherited-container-token",
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      AWS_SSO_SESSION: "inherited",
      AWS_VAULT: "inherited",
      AWS_CREDENTIAL_EXPIRATION: "2099-01-01T00:00:00Z",
      AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://127.0.0.1:9",
    };
  };

  it("do not reach the child: it sees only the session's credentials and the variables taskaccess sets", async () => {
    const extra = inherited(project.dir);
    const out = project.path("inherited");
    const result = await project.run({ command: [process.execPath, SDK_CHILD, out, VERSION], env: extra });
    expect(result.code).toBe(0);
    const report = readJson<SdkReport>(out);
    // The JS SDK skips the environment's keys when AWS_PROFILE is set: had it leaked, the child
    // would be user/base (or fail on the decoys) instead of the task's session.
    expectTaskSession(report);
    const strippedNames = Object.keys(extra).filter(
      (name) =>
        ![
          "AWS_ACCESS_KEY_ID",
          "AWS_SECRET_ACCESS_KEY",
          "AWS_SESSION_TOKEN",
          "AWS_CREDENTIAL_EXPIRATION",
        ].includes(name),
    );
    for (const name of strippedNames) expect(report.envNames, name).not.toContain(name);
    expect(report.envNames).toEqual(
      expect.arrayContaining([
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_EC2_METADATA_DISABLED",
        "TASKACCESS_SESSION",
        "TASKACCESS_TASK",
      ]),
    );
    // The session's own token, not the inherited one.
    expect(report.credentials.sessionToken).not.toBe("inherited-session-token");
    const issued = sessionRecords(readLog(project.logPath), report.session).find(
      (record) => record.event === "credentials.issued",
    );
    expect(issued?.caller).toBe(`arn:aws:iam::${ACCOUNT}:user/base`);
    expect(issued).toMatchObject({ accessKeyId: report.credentials.accessKeyId });
    await expectRevoked(project, sessionCredentials(report.credentials));
  });

  it("under other names that AWS tools read as credentials (AWS_ACCESS_KEY, AWS_SECRET_KEY, AWS_BEARER_TOKEN_BEDROCK) or that mint the CI job's OIDC token do not reach the child", async () => {
    // Java SDK v1 reads AWS_ACCESS_KEY / AWS_SECRET_KEY; botocore and the JS SDK read
    // AWS_BEARER_TOKEN_BEDROCK (Bedrock API keys). Each carries a credential of the parent.
    const out = project.path("other-names");
    const result = await project.run({
      command: [process.execPath, CHILD, out],
      env: {
        AWS_ACCESS_KEY: project.base.accessKeyId,
        AWS_SECRET_KEY: project.base.secretAccessKey,
        AWS_BEARER_TOKEN_BEDROCK: "inherited-bedrock-api-key",
        // What a child would need to mint the CI job's OIDC token and assume the base role itself.
        ACTIONS_ID_TOKEN_REQUEST_URL: "https://pipelines.actions.githubusercontent.com/token",
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "inherited-oidc-request-token",
        CI_JOB_JWT_V2: "inherited-gitlab-jwt",
      },
    });
    expect(result.code).toBe(0);
    const recorded = readRecorded(out);
    const leaked = [
      "AWS_ACCESS_KEY",
      "AWS_SECRET_KEY",
      "AWS_BEARER_TOKEN_BEDROCK",
      "ACTIONS_ID_TOKEN_REQUEST_URL",
      "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
      "CI_JOB_JWT_V2",
    ].filter((name) => recorded.envNames?.includes(name));
    expect(leaked).toEqual([]);
  });
});

describe("output", () => {
  it("taskaccess's own stderr has no Node or AWS SDK warning, even when the parent does not silence the SDK", async () => {
    // The child is not a Node program: what is on stderr is taskaccess's alone. (A child on the
    // JS SDK gets the environment as inherited, so its own SDK may warn, on its own account.)
    const out = project.path("quiet");
    const result = await project.run({
      command: ["sh", RECORD, out],
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/NodeVersionSupport|node version|deprecat|Warning/i);
    const recorded = readRecorded(out);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      expect.stringMatching(/^taskaccess: log \S+ head [0-9a-f]{64} \(check it later: /),
      lastLine(result.stderr),
    ]);
    expect(lastLine(result.stderr)).toMatch(summaryPattern("deploy", recorded.session, "exit 0"));
    expect(result.stdout).toBe("");
  });
});
