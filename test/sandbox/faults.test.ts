import { GetRoleCommand } from "@aws-sdk/client-iam";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN_HEADER } from "../../src/sandbox/defaults.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import { defaultWorld } from "../../src/sandbox/world.js";
import {
  type AwsError,
  assumeRole,
  baseCredentials,
  type Credentials,
  DEPLOYER,
  expectAwsError,
  expectError,
  iamClient,
  s3Client,
  startTestSandbox,
  stsClient,
} from "../helpers/sandbox.js";

let sandbox: RunningSandbox;
let base: Credentials;

beforeAll(async () => {
  // The world file's faults: key scripts the first iam:GetRole call to fail.
  sandbox = await startTestSandbox({
    world: { ...defaultWorld(), faults: { "iam:GetRole": ["InternalError", "ok"] } },
  });
  base = baseCredentials(sandbox);
});
afterEach(() => sandbox.faults.clear());
afterAll(() => sandbox.close());

const assume = (extra: { maxAttempts?: number } = {}) =>
  stsClient(sandbox, base, extra).send(
    new AssumeRoleCommand({ RoleArn: DEPLOYER, RoleSessionName: "faulty" }),
  );

const admin = (method: string, path: string, body?: unknown, token = sandbox.adminToken) =>
  fetch(`${sandbox.endpoint}${path}`, {
    method,
    headers: { [ADMIN_TOKEN_HEADER]: token, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe("scripted faults", () => {
  it("takes the world file's faults: the first GetRole fails with InternalFailure 500, the next succeeds", async () => {
    const iam = iamClient(sandbox, base);
    const error = await expectError(
      iam.send(new GetRoleCommand({ RoleName: "deployer" })),
      "InternalFailure",
      500,
      "We encountered an internal error. Please try again.",
    );
    expect(error.$fault).toBe("server");
    expect((await iam.send(new GetRoleCommand({ RoleName: "deployer" }))).Role?.RoleName).toBe("deployer");
    expect(sandbox.faults.describe()).toEqual({});
  });

  it("plays a script step by step: Throttling, then ok, then nothing more", async () => {
    sandbox.faults.set("sts:AssumeRole", ["Throttling", "ok"]);
    const error = await expectError(assume(), "Throttling", 400, "Rate exceeded");
    // STS does not model a throttling exception: the SDK names the error after the code.
    expect(error.name).toBe("Throttling");
    expect(error.$metadata.attempts).toBe(1);
    expect(sandbox.faults.describe()).toEqual({ "sts:assumerole": ["ok"] });
    expect((await assume()).AssumedRoleUser?.AssumedRoleId).toMatch(/:faulty$/);
    expect(sandbox.faults.describe()).toEqual({});
    expect((await assume()).AssumedRoleUser?.AssumedRoleId).toMatch(/:faulty$/);
    // Other operations are untouched by a script for AssumeRole.
    sandbox.faults.set("sts:AssumeRole", ["Throttling"]);
    await stsClient(sandbox, base).send(new GetCallerIdentityCommand({}));
    expect(sandbox.faults.describe()).toEqual({ "sts:assumerole": ["Throttling"] });
    const journal = sandbox.journal.find({ operation: "AssumeRole", decision: "fault" });
    // The entry says the error was injected; the client saw AWS's own words ("Rate exceeded").
    expect(journal.at(-1)).toMatchObject({
      status: 400,
      errorCode: "Throttling",
      reason: "fault injection: Throttling",
    });
  });

  it("lets the SDK's retries ride out a transient fault", async () => {
    sandbox.faults.set("sts:AssumeRole", ["InternalError"]);
    sandbox.journal.clear();
    const output = await assume({ maxAttempts: 2 });
    expect(output.$metadata.attempts).toBe(2);
    expect(
      sandbox.journal.find().map((entry) => [entry.operation, entry.status, entry.decision, entry.errorCode]),
    ).toEqual([
      ["AssumeRole", 500, "fault", "InternalFailure"],
      ["AssumeRole", 200, "allow", undefined],
    ]);
  });

  it("answers InternalError and ServiceUnavailable in each service's words", async () => {
    sandbox.faults.set("sts:AssumeRole", ["InternalError", "ServiceUnavailable"]);
    await expectError(
      assume(),
      "InternalFailure",
      500,
      "We encountered an internal error. Please try again.",
    );
    const unavailable = await expectError(
      assume(),
      "ServiceUnavailable",
      503,
      "The service is unavailable. Please try again later.",
    );
    expect(unavailable.$fault).toBe("server");

    const { credentials } = await assumeRole(sandbox, base, { RoleSessionName: "s3-faults" });
    const s3 = s3Client(sandbox, credentials);
    sandbox.faults.set("s3:PutObject", ["InternalError", "ServiceUnavailable", "Throttling"]);
    const put = () => s3.send(new PutObjectCommand({ Bucket: "releases", Key: "app/f", Body: "x" }));
    await expectError(put(), "InternalError", 500, "We encountered an internal error. Please try again.");
    await expectError(
      put(),
      "ServiceUnavailable",
      503,
      "The service is unavailable. Please try again later.",
    );
    await expectError(put(), "SlowDown", 503, "Please reduce your request rate.");
    expect((await put()).$metadata.httpStatusCode).toBe(200);
  });

  it("delays a call by delayMs, once", async () => {
    sandbox.faults.set("sts:GetCallerIdentity", [{ delayMs: 500 }]);
    const started = Date.now();
    const identity = await stsClient(sandbox, base).send(new GetCallerIdentityCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
    expect(identity.Arn).toBe("arn:aws:iam::123456789012:user/base");
    expect(sandbox.faults.describe()).toEqual({});
    const quick = Date.now();
    await stsClient(sandbox, base).send(new GetCallerIdentityCommand({}));
    expect(Date.now() - quick).toBeLessThan(400);
  });

  it("drops the connection, which the SDK reports as a network error", async () => {
    sandbox.faults.set("sts:GetCallerIdentity", ["drop"]);
    const error: AwsError = await expectAwsError(
      stsClient(sandbox, base).send(new GetCallerIdentityCommand({})),
    );
    expect(error.$metadata?.httpStatusCode).toBeUndefined();
    expect((error as Error & { code?: string }).code ?? error.message).toMatch(/ECONNRESET|socket hang up/);
    expect(sandbox.journal.find({ operation: "GetCallerIdentity", decision: "fault" }).at(-1)).toMatchObject({
      reason: "connection dropped by fault injection",
    });
    // The server is still up.
    expect((await stsClient(sandbox, base).send(new GetCallerIdentityCommand({}))).Account).toBe(
      "123456789012",
    );
  });

  it("applies a '*' script to every operation", async () => {
    sandbox.faults.set("*", ["ServiceUnavailable", "ServiceUnavailable"]);
    await expectError(
      stsClient(sandbox, base).send(new GetCallerIdentityCommand({})),
      "ServiceUnavailable",
      503,
    );
    await expectError(
      iamClient(sandbox, base).send(new GetRoleCommand({ RoleName: "reader" })),
      "ServiceUnavailable",
      503,
    );
    expect(
      (await iamClient(sandbox, base).send(new GetRoleCommand({ RoleName: "reader" }))).Role?.RoleName,
    ).toBe("reader");
  });
});

describe("the admin endpoint", () => {
  it("sets, shows and clears faults over HTTP with the token, and refuses without it", async () => {
    const refused = await admin(
      "POST",
      "/_sandbox/faults",
      { "sts:AssumeRole": ["Throttling"] },
      "wrong-token",
    );
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: `the admin endpoint needs the ${ADMIN_TOKEN_HEADER} header`,
    });
    expect(sandbox.faults.describe()).toEqual({});

    const set = await admin("POST", "/_sandbox/faults", {
      "sts:AssumeRole": ["Throttling", "ok"],
      "s3:GetObject": [{ delayMs: 10 }],
    });
    expect(set.status).toBe(200);
    expect(set.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await set.json()).toEqual({
      "sts:assumerole": ["Throttling", "ok"],
      "s3:getobject": [{ delayMs: 10 }],
    });
    await expectError(assume(), "Throttling", 400, "Rate exceeded");
    expect(await (await admin("GET", "/_sandbox/faults")).json()).toEqual({
      "sts:assumerole": ["ok"],
      "s3:getobject": [{ delayMs: 10 }],
    });
    expect((await admin("DELETE", "/_sandbox/faults")).status).toBe(200);
    expect(sandbox.faults.describe()).toEqual({});
    expect((await admin("GET", "/_sandbox/nothing")).status).toBe(404);
  });

  it("answers a malformed or ill-shaped body with 400 and a JSON error, and changes nothing", async () => {
    sandbox.faults.set("sts:AssumeRole", ["Throttling"]);
    const before = sandbox.clock.now();
    const send = (path: string, body: string) =>
      fetch(`${sandbox.endpoint}${path}`, {
        method: "POST",
        headers: { [ADMIN_TOKEN_HEADER]: sandbox.adminToken, "content-type": "application/json" },
        body,
      });
    for (const [path, body, error] of [
      ["/_sandbox/faults", '{"sts:AssumeRole": [', /^the body is not JSON: /],
      ["/_sandbox/faults", '{"sts:AssumeRole": ["Bogus"]}', /^the body is not valid: sts:AssumeRole\.0: /],
      ["/_sandbox/faults", '{"sts:AssumeRole": "Throttling"}', /^the body is not valid: sts:AssumeRole: /],
      ["/_sandbox/faults", "[]", /^the body is not valid: /],
      ["/_sandbox/clock", "advance please", /^the body is not JSON: /],
      ["/_sandbox/clock", '{"advanceSeconds": "60"}', /^the body is not valid: advanceSeconds: /],
      ["/_sandbox/clock", '{"advanceSecond": 60}', /^the body is not valid: /],
    ] as const) {
      const response = await send(path, body);
      expect([path, body, response.status, response.headers.get("content-type")]).toEqual([
        path,
        body,
        400,
        "application/json",
      ]);
      expect(((await response.json()) as { error: string }).error).toMatch(error);
    }
    expect(sandbox.faults.describe()).toEqual({ "sts:assumerole": ["Throttling"] });
    expect(sandbox.clock.now() - before).toBeLessThan(60_000);
  });

  it("moves the clock and shows the journal", async () => {
    const { credentials } = await assumeRole(sandbox, base, {
      RoleSessionName: "admin-clock",
      DurationSeconds: 900,
    });
    const health = (await (await admin("GET", "/_sandbox/health")).json()) as { ok: boolean; now: string };
    expect(health.ok).toBe(true);
    const moved = (await (await admin("POST", "/_sandbox/clock", { advanceSeconds: 901 })).json()) as {
      now: string;
    };
    expect(Date.parse(moved.now) - Date.parse(health.now)).toBeGreaterThanOrEqual(901_000);
    await expectError(
      s3Client(sandbox, credentials).send(new GetObjectCommand({ Bucket: "releases", Key: "app/f" })),
      "ExpiredToken",
      400,
      "The provided token has expired.",
    );
    const journal = (await (await admin("GET", "/_sandbox/journal")).json()) as {
      entries: Array<{ operation: string; errorCode?: string; accessKeyId?: string }>;
    };
    expect(journal.entries.at(-1)).toMatchObject({
      operation: "GetObject",
      errorCode: "ExpiredToken",
      accessKeyId: credentials.accessKeyId,
    });
  });
});
