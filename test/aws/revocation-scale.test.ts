// The revoker against the sandbox over HTTP at the scale issue 5 asks for: 300 sessions ended one
// after another, then 50 ending at the same instant, on one role whose inline policies are capped
// at 10,240 characters, as on AWS. Every ended session must be denied, every live one allowed.

import { mkdtempSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { GetRolePolicyCommand, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createIamRevoker } from "../../src/aws/iam-revoker.js";
import { REVOKE_PREFIX } from "../../src/aws/revoke-policy.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import { createRoleLock } from "../../src/session/role-lock.js";
import {
  ADMIN,
  type AssumedSession,
  assumeRole,
  baseCredentials,
  DEPLOYER,
  iamClient,
  REGION,
  s3Client,
  startTestSandbox,
  worldWithAdmin,
} from "../helpers/sandbox.js";
import { ROLE_INLINE_LIMIT } from "./role-fixture.js";

const SEQUENTIAL = 300;

interface Session extends AssumedSession {
  id: string;
  name: string;
}

let sandbox: RunningSandbox;
const lockDir = mkdtempSync(join(tmpdir(), "taskaccess-scale-"));

beforeEach(async () => {
  sandbox = await startTestSandbox({ world: worldWithAdmin() });
});

afterEach(async () => {
  await sandbox.close();
});

async function startSession(index: number): Promise<Session> {
  const id = `s${String(index).padStart(4, "0")}x${Math.random().toString(36).slice(2, 8)}`;
  const name = `ta-scale-${id}`;
  const assumed = await assumeRole(sandbox, baseCredentials(sandbox), {
    RoleSessionName: name,
    DurationSeconds: 3600,
    Tags: [
      { Key: "taskaccess:task", Value: "scale" },
      { Key: "taskaccess:session", Value: id },
    ],
  });
  return { ...assumed, id, name };
}

async function isDenied(session: Session): Promise<boolean> {
  try {
    await s3Client(sandbox, session.credentials).send(new ListBucketsCommand({}));
    return false;
  } catch (error) {
    if ((error as Error).name === "AccessDenied") return true;
    throw error;
  }
}

async function inlinePolicyCharacters(): Promise<number> {
  const iam = iamClient(sandbox, ADMIN);
  const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: "deployer", MaxItems: 1000 })))
    .PolicyNames;
  let total = 0;
  for (const name of names ?? []) {
    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: "deployer", PolicyName: name }));
    // IAM counts the documents without white space (IAM User Guide, IAM quotas), as the sandbox does.
    total += decodeURIComponent(policy.PolicyDocument ?? "").replace(/\s/g, "").length;
  }
  return total;
}

// One scenario: SEQUENTIAL sessions ended one after another, then `concurrent` at once, with or
// without the per-machine role lock the CLI uses (runs on different machines have no lock).
async function endSessionsAndCheck(concurrent: number, machineLock: boolean): Promise<void> {
  const revoker = createIamRevoker({
    endpoint: sandbox.endpoint,
    region: REGION,
    credentials: baseCredentials(sandbox),
    clock: { now: Date.now },
    ...(machineLock
      ? { serialize: createRoleLock({ directory: lockDir, host: hostname(), clock: { now: Date.now } }) }
      : {}),
  });
  const revoke = (session: Session) =>
    revoker.revoke({
      roleArn: DEPLOYER,
      sessionName: session.name,
      assumedRoleId: session.output.AssumedRoleUser?.AssumedRoleId,
      sessionTag: session.id,
      expiration: session.output.Credentials?.Expiration ?? new Date(Date.now() + 3_600_000),
    });

  const live = await startSession(9999);
  const ended: Session[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const session = await startSession(i);
    await revoke(session);
    ended.push(session);
  }
  expect(await inlinePolicyCharacters()).toBeLessThanOrEqual(ROLE_INLINE_LIMIT);

  const together = await Promise.all(
    Array.from({ length: concurrent }, (_, i) => startSession(SEQUENTIAL + i)),
  );
  const results = await Promise.allSettled(together.map(revoke));
  const failures = results.flatMap((result) => (result.status === "rejected" ? [String(result.reason)] : []));
  expect(failures).toEqual([]);
  ended.push(...together);

  const stillAllowed = [];
  for (const session of ended) if (!(await isDenied(session))) stillAllowed.push(session.name);
  expect(stillAllowed).toEqual([]);
  expect(await isDenied(live)).toBe(false);

  expect(await inlinePolicyCharacters()).toBeLessThanOrEqual(ROLE_INLINE_LIMIT);
  const names =
    (
      await iamClient(sandbox, ADMIN).send(
        new ListRolePoliciesCommand({ RoleName: "deployer", MaxItems: 1000 }),
      )
    ).PolicyNames ?? [];
  // Compaction keeps the role small: far fewer policies than sessions.
  expect(names.filter((name) => name.startsWith(REVOKE_PREFIX)).length).toBeLessThan(60);
}

describe("revocation at scale", () => {
  it(`holds ${SEQUENTIAL} sequential and 50 simultaneous ended sessions on one role, losing none (one machine)`, async () => {
    await endSessionsAndCheck(50, true);
  }, 120_000);

  it(`holds ${SEQUENTIAL} sequential and 10 simultaneous ended sessions without a shared lock (many machines)`, async () => {
    await endSessionsAndCheck(10, false);
  }, 120_000);
});
