import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import {
  ACCOUNT,
  baseCredentials,
  type Credentials,
  DEPLOYER,
  policyJson,
  runAwsCli,
  startTestSandbox,
} from "../helpers/sandbox.js";

// The real AWS CLI (v1 here, v2 elsewhere) against the sandbox: about 0.5 s a call, so few calls.
// A service error makes CLI v1 exit 255 and v2 exit 254.
const SERVICE_ERROR_EXIT = [254, 255];

let sandbox: RunningSandbox;
let base: Credentials;
let dir: string;
let bodyFile: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  base = baseCredentials(sandbox);
  dir = mkdtempSync(join(tmpdir(), "taskaccess-cli-"));
  bodyFile = join(dir, "release.txt");
  writeFileSync(bodyFile, "release from the AWS CLI");
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a task session through the AWS CLI", () => {
  it("assumes the role with a session policy, then is allowed and denied as the session policy says", async () => {
    const assumed = await runAwsCli(sandbox, base, [
      "sts",
      "assume-role",
      "--role-arn",
      DEPLOYER,
      "--role-session-name",
      "cli-task",
      "--duration-seconds",
      "900",
      "--policy",
      policyJson({ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::releases/app/*" }),
    ]);
    expect(assumed.stderr).toBe("");
    expect(assumed.code).toBe(0);
    const output = assumed.json as {
      Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };
      AssumedRoleUser: { Arn: string; AssumedRoleId: string };
      PackedPolicySize: number;
    };
    const roleId = sandbox.state.findRole(ACCOUNT, "deployer")?.roleId ?? "";
    expect(output.AssumedRoleUser).toEqual({
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/cli-task`,
      AssumedRoleId: `${roleId}:cli-task`,
    });
    expect(output.Credentials.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(Date.parse(output.Credentials.Expiration) - sandbox.clock.now()).toBeGreaterThan(890_000);
    expect(Date.parse(output.Credentials.Expiration) - sandbox.clock.now()).toBeLessThanOrEqual(900_000);
    const session: Credentials = {
      accessKeyId: output.Credentials.AccessKeyId,
      secretAccessKey: output.Credentials.SecretAccessKey,
      sessionToken: output.Credentials.SessionToken,
    };

    const identity = await runAwsCli(sandbox, session, ["sts", "get-caller-identity"]);
    expect(identity.code).toBe(0);
    expect(identity.json).toEqual({
      UserId: `${roleId}:cli-task`,
      Account: ACCOUNT,
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/cli-task`,
    });

    const put = await runAwsCli(sandbox, session, [
      "s3api",
      "put-object",
      "--bucket",
      "releases",
      "--key",
      "app/cli.txt",
      "--body",
      bodyFile,
    ]);
    expect(put.code).toBe(0);
    expect(put.json).toEqual({
      ETag: `"${createHash("md5").update("release from the AWS CLI").digest("hex")}"`,
    });
    expect(sandbox.state.buckets.get("releases")?.objects.get("app/cli.txt")?.body.toString()).toBe(
      "release from the AWS CLI",
    );

    const denied = await runAwsCli(sandbox, session, [
      "s3api",
      "put-object",
      "--bucket",
      "releases",
      "--key",
      "other/x",
      "--body",
      bodyFile,
    ]);
    expect(SERVICE_ERROR_EXIT).toContain(denied.code);
    expect(denied.stdout).toBe("");
    expect(denied.stderr.trim()).toBe(
      `An error occurred (AccessDenied) when calling the PutObject operation: User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/cli-task is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::releases/other/x" because no session policy allows the s3:PutObject action`,
    );
    // The CLI does not print the status; the sandbox's journal has it.
    const journal = sandbox.journal.find({ accessKeyId: session.accessKeyId, operation: "PutObject" });
    expect(journal.map((entry) => [entry.resource, entry.status, entry.decision, entry.errorCode])).toEqual([
      ["arn:aws:s3:::releases/app/cli.txt", 200, "allow", undefined],
      ["arn:aws:s3:::releases/other/x", 403, "deny", "AccessDenied"],
    ]);
  });

  it("reports a wrong secret as SignatureDoesNotMatch", async () => {
    const result = await runAwsCli(
      sandbox,
      { ...base, secretAccessKey: "not-the-secret-access-key-0000000000000" },
      ["sts", "get-caller-identity"],
    );
    expect(SERVICE_ERROR_EXIT).toContain(result.code);
    expect(result.stderr.trim()).toBe(
      "An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  });
});
