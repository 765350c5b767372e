// What the revoker tests share: sessions of the sandbox's deployer role with taskaccess's tags, a
// revoker over HTTP on the sandbox's own clock, and looks at the role's inline policies.

import { GetRolePolicyCommand, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { createIamRevoker, type IamRevokerOptions } from "../../src/aws/iam-revoker.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import type { RevokeInput, Revoker } from "../../src/session/ports.js";
import {
  ADMIN,
  type AssumedSession,
  assumeRole,
  baseCredentials,
  DEPLOYER,
  iamClient,
  REGION,
  s3Client,
} from "../helpers/sandbox.js";

/** IAM's aggregate inline-policy size per role (IAM quotas: "Role policy size ... 10,240 characters"). */
export const ROLE_INLINE_LIMIT = 10_240;

export interface Session extends AssumedSession {
  id: string;
  name: string;
  expiration: Date;
}

// A session id like taskaccess's (12 characters), unique per call.
export function sessionId(index: number): string {
  return `s${String(index).padStart(4, "0")}x${Math.random().toString(36).slice(2, 8).padEnd(6, "0")}`;
}

// Assumes the deployer role as taskaccess would: session name ta-<task>-<id>[-r<N>], both tags.
export async function startSession(
  sandbox: RunningSandbox,
  id: string,
  options: { durationSeconds?: number; refresh?: number } = {},
): Promise<Session> {
  const name = `ta-scale-${id}${options.refresh ? `-r${options.refresh}` : ""}`;
  const assumed = await assumeRole(sandbox, baseCredentials(sandbox), {
    RoleSessionName: name,
    DurationSeconds: options.durationSeconds ?? 3600,
    Tags: [
      { Key: "taskaccess:task", Value: "scale" },
      { Key: "taskaccess:session", Value: id },
    ],
  });
  const expiration = assumed.output.Credentials?.Expiration;
  if (!expiration) throw new Error("AssumeRole returned no expiration");
  return { ...assumed, id, name, expiration };
}

// What revoke() and arm() take for a session.
export function revokeInput(session: Session): RevokeInput {
  return {
    roleArn: DEPLOYER,
    sessionName: session.name,
    assumedRoleId: session.output.AssumedRoleUser?.AssumedRoleId,
    sessionTag: session.id,
    expiration: session.expiration,
  };
}

// The revoker over HTTP, on the sandbox's clock so that its expiry arithmetic moves with it.
export function sandboxRevoker(sandbox: RunningSandbox, extra: Partial<IamRevokerOptions> = {}): Revoker {
  return createIamRevoker({
    endpoint: sandbox.endpoint,
    region: REGION,
    credentials: baseCredentials(sandbox),
    clock: sandbox.clock,
    ...extra,
  });
}

// Whether the session is refused an action its role allows (s3:ListAllMyBuckets).
export async function isDenied(sandbox: RunningSandbox, session: Session): Promise<boolean> {
  try {
    await s3Client(sandbox, session.credentials).send(new ListBucketsCommand({}));
    return false;
  } catch (error) {
    if ((error as Error).name === "AccessDenied") return true;
    throw error;
  }
}

// The deployer role's inline policies: name → document.
export async function rolePolicies(sandbox: RunningSandbox): Promise<Map<string, string>> {
  const iam = iamClient(sandbox, ADMIN);
  const names =
    (await iam.send(new ListRolePoliciesCommand({ RoleName: "deployer", MaxItems: 1000 }))).PolicyNames ?? [];
  const policies = new Map<string, string>();
  for (const name of names) {
    // A compaction still under way may delete a policy between the listing and the read.
    const policy = await iam
      .send(new GetRolePolicyCommand({ RoleName: "deployer", PolicyName: name }))
      .catch((error: unknown) => {
        if ((error as Error).name === "NoSuchEntityException") return undefined;
        throw error;
      });
    if (policy) policies.set(name, decodeURIComponent(policy.PolicyDocument ?? ""));
  }
  return policies;
}

// What IAM counts against the limit: the documents without white space (IAM User Guide, IAM quotas).
export async function inlinePolicyCharacters(sandbox: RunningSandbox): Promise<number> {
  let total = 0;
  for (const document of (await rolePolicies(sandbox)).values()) total += document.replace(/\s/g, "").length;
  return total;
}
