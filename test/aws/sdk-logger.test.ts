// The AWS SDK's own log (src/aws/sdk-logger.ts): what it warns about that matters reaches the user
// in taskaccess's words, the rest never. The whole run against an STS that does not answer:
// test/e2e/run-terminal.test.ts.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sdkLogger, translateSdkWarning } from "../../src/aws/sdk-logger.js";
import { createStsIssuer } from "../../src/aws/sts-issuer.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import { baseCredentials, DEPLOYER, REGION, startTestSandbox } from "../helpers/sandbox.js";

/** What @smithy/node-http-handler 4.x logs when a request outlives requestTimeout. */
const REQUEST_TIMEOUT =
  "@smithy/node-http-handler - [WARN] a request has exceeded the configured 15000 ms requestTimeout. Init client requestHandler with throwOnRequestTimeout=true to turn this into an error.";

describe("translateSdkWarning", () => {
  it("says a request that outlives its timeout is still waited for, naming the service", () => {
    expect(translateSdkWarning("STS", REQUEST_TIMEOUT)).toBe(
      "STS has not answered within 15 s; still waiting",
    );
    expect(translateSdkWarning("IAM", REQUEST_TIMEOUT.replace("15000", "2500"))).toBe(
      "IAM has not answered within 2.5 s; still waiting",
    );
  });

  it("names the two sources of base credentials the SDK chose between", () => {
    const said = `@aws-sdk/credential-provider-node - defaultProvider::fromEnv WARNING:
    Multiple credential sources detected: 
    Both AWS_PROFILE and the pair AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY static credentials are set.`;
    expect(translateSdkWarning("STS", said)).toBe(
      "a profile (--profile or AWS_PROFILE) and AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY are both set: the base identity is the profile's; unset one of them",
    );
  });

  it("drops what a user cannot act on", () => {
    expect(
      translateSdkWarning(
        "S3",
        "@smithy/node-http-handler:WARN - socket usage at capacity=50 and 131 additional requests are enqueued.",
      ),
    ).toBeUndefined();
    expect(
      translateSdkWarning("S3", "@smithy/util-stream - stream chunk size 1 is below threshold"),
    ).toBeUndefined();
  });
});

describe("sdkLogger", () => {
  it("passes on each translated warning once and drops everything else", () => {
    const warned: string[] = [];
    const logger = sdkLogger("STS", (message) => warned.push(message));
    logger.info({ clientName: "STSClient", commandName: "AssumeRoleCommand" });
    logger.debug("endpoints", "resolved");
    logger.trace("x");
    logger.error({ error: new Error("AccessDenied") });
    logger.warn(REQUEST_TIMEOUT);
    logger.warn(REQUEST_TIMEOUT);
    logger.warn("Credential renew failed: ", new Error("x"));
    expect(warned).toEqual(["STS has not answered within 15 s; still waiting"]);
  });

  it("without a warn callback, drops everything", () => {
    expect(() => sdkLogger("IAM", undefined).warn(REQUEST_TIMEOUT)).not.toThrow();
  });
});

describe("an STS client that waits past its request timeout", () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it("warns through taskaccess, and nothing reaches the console", async () => {
    const console = vi.spyOn(globalThis.console, "warn");
    const stderr = vi.spyOn(process.stderr, "write");
    try {
      sandbox.faults.set("sts:AssumeRole", [{ delayMs: 1200 }]);
      const warned: string[] = [];
      const issuer = createStsIssuer({
        region: REGION,
        endpoint: sandbox.endpoint,
        credentials: baseCredentials(sandbox),
        maxAttempts: 1,
        requestTimeoutMs: 300,
        warn: (message) => warned.push(message),
      });
      const issued = await issuer.assumeRole({
        roleArn: DEPLOYER,
        sessionName: "ta-deploy-sdklogger000",
        policy:
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
        policyArns: [],
        durationSeconds: 900,
        tags: {},
      });
      expect(issued.accessKeyId).toMatch(/^ASIA/);
      expect(warned).toEqual(["STS has not answered within 0.3 s; still waiting"]);
      expect(console).not.toHaveBeenCalled();
      expect(stderr).not.toHaveBeenCalled();
    } finally {
      console.mockRestore();
      stderr.mockRestore();
    }
  });
});
