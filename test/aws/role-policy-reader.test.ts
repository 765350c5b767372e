// The RolePolicyReader over HTTP with the real SDK, against the sandbox: every inline policy of
// the role, decoded, every page; errors named once; and the whole reconciliation agreeing with
// what the sandbox actually enforces on the sessions.

import { DeleteRolePolicyCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CredentialsIssuedEvent, LogRecord, SessionEvent } from "../../src/audit/events.js";
import { createIamRevoker } from "../../src/aws/iam-revoker.js";
import { createRolePolicyReader } from "../../src/aws/role-policy-reader.js";
import { ExitCode, TaskAccessError } from "../../src/errors.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import { summarizeSessions } from "../../src/session/session-summary.js";
import { verifyRevocations } from "../../src/session/verify-revocations.js";
import {
  ACCOUNT,
  ADMIN,
  baseCredentials,
  type Credentials,
  DEPLOYER,
  iamClient,
  policyJson,
  REGION,
  startTestSandbox,
  worldWithAdmin,
} from "../helpers/sandbox.js";
import { isDenied, revokeInput, type Session, sessionId, startSession } from "./role-fixture.js";

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({ world: worldWithAdmin() });
});
afterAll(async () => {
  await sandbox.close();
});

// The revoker as `revoke` builds it, over HTTP on the sandbox's clock.
function revoker(credentials: Credentials = baseCredentials(sandbox)) {
  return createIamRevoker({
    endpoint: sandbox.endpoint,
    region: REGION,
    credentials,
    clock: sandbox.clock,
    maxAttempts: 1,
    backoffMs: 1,
  });
}

const admin = () => iamClient(sandbox, ADMIN);
const put = (name: string, document: string) =>
  admin().send(
    new PutRolePolicyCommand({ RoleName: "deployer", PolicyName: name, PolicyDocument: document }),
  );
const remove = (name: string) =>
  admin().send(new DeleteRolePolicyCommand({ RoleName: "deployer", PolicyName: name }));

// What the log of a run of that session says once `run` revoked it.
function revokedRunLog(session: Session): SessionEvent[] {
  const common = {
    time: new Date(sandbox.clock.now()).toISOString(),
    session: session.id,
    task: "scale",
    caller: `arn:aws:iam::${ACCOUNT}:user/base`,
    host: "h",
  };
  const issued: CredentialsIssuedEvent = {
    event: "credentials.issued",
    ...common,
    role: DEPLOYER,
    sessionName: session.name,
    assumedRoleId: session.output.AssumedRoleUser?.AssumedRoleId ?? "",
    assumedRoleArn: session.output.AssumedRoleUser?.Arn ?? "",
    accessKeyId: session.credentials.accessKeyId,
    expiration: session.expiration.toISOString(),
    sourceIdentity: null,
    tags: { "taskaccess:task": "scale", "taskaccess:session": session.id },
    policy: "{}",
    policySha256: "0".repeat(64),
    policyArns: [],
    packedPolicySize: null,
  };
  return [
    issued,
    {
      event: "session.revoked",
      ...common,
      role: DEPLOYER,
      sessionName: session.name,
      policyName: "as-logged",
      method: "inline-deny",
      attempts: 1,
      note: null,
    },
  ];
}

function logOf(events: SessionEvent[]) {
  const records = events.map((event, index) => ({ v: 1, seq: index + 1, prev: "0".repeat(64), ...event }));
  return { records: records as LogRecord[], sessions: [...summarizeSessions(records).values()] };
}

describe("createRolePolicyReader", () => {
  it("finds what the sandbox enforces: a revoked session denied, and its deny missing once deleted", async () => {
    const rv = revoker();
    const reader = createRolePolicyReader(rv.contextFor);
    const [kept, deleted] = [
      await startSession(sandbox, sessionId(1)),
      await startSession(sandbox, sessionId(2)),
    ];
    const keptPolicy = (await rv.revoke(revokeInput(kept))).policyName;
    const deletedPolicy = (await rv.revoke(revokeInput(deleted))).policyName;
    await remove(deletedPolicy);
    const log = logOf([...revokedRunLog(kept), ...revokedRunLog(deleted)]);
    const checks = await verifyRevocations(log, { now: sandbox.clock.now(), reader });
    expect(checks.map((check) => [check.sessionName, check.status, check.deniedBy])).toEqual([
      [kept.name, "denied", [keptPolicy]],
      [deleted.name, "deny-missing", undefined],
    ]);
    expect([await isDenied(sandbox, kept), await isDenied(sandbox, deleted)]).toEqual([true, false]);
    await remove(keptPolicy);
  });

  it("returns every inline policy, URL-decoded, however the role's names are paged", async () => {
    const names = ["zz-a", "zz-b", "zz-c", "zz-d", "zz-e"];
    const document = policyJson({
      Effect: "Deny",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::team a&b/ü/*",
      Condition: { StringEquals: { "aws:PrincipalTag/team": "a b+c%20" } },
    });
    for (const name of names) await put(name, document);
    const rv = revoker();
    const rc = await rv.contextFor(DEPLOYER);
    let listCalls = 0;
    rc.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "ListRolePoliciesCommand") {
          listCalls++;
          (args.input as { MaxItems?: number }).MaxItems = 2;
        }
        return next(args);
      },
      { step: "initialize", name: "twoPerPage" },
    );
    const policies = await createRolePolicyReader(rv.contextFor).inlinePolicies(DEPLOYER);
    expect(policies.filter((policy) => policy.name.startsWith("zz-"))).toEqual(
      names.map((name) => ({ name, document })),
    );
    expect(listCalls).toBe(Math.ceil(policies.length / 2));
    expect(listCalls).toBeGreaterThanOrEqual(3);
    for (const name of names) await remove(name);
  });

  it("names the role once in any error, with the exit code and hint of the cause", async () => {
    const reader = createRolePolicyReader(revoker().contextFor);
    const missing = `arn:aws:iam::${ACCOUNT}:role/nobody`;
    const error = await reader.inlinePolicies(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskAccessError);
    expect((error as Error).message).toMatch(
      new RegExp(`^Could not read the inline policies of ${missing}: NoSuchEntity(Exception)?: `),
    );
    expect((error as Error).message.split("Could not read").length).toBe(2);

    // A session of the deployer role may not read IAM at all.
    const session = await startSession(sandbox, sessionId(3));
    const refused = await createRolePolicyReader(revoker(session.credentials).contextFor)
      .inlinePolicies(DEPLOYER)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TaskAccessError);
    expect((refused as TaskAccessError).message).toMatch(
      new RegExp(`^Could not read the inline policies of ${DEPLOYER}: AccessDenied(Exception)?: `),
    );
    expect((refused as TaskAccessError).exitCode).toBe(ExitCode.accessDenied);
    expect((refused as TaskAccessError).hint).toMatch(/iam:ListRolePolicies and iam:GetRolePolicy/);
  });
});
