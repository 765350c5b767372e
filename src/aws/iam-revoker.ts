import { setTimeout as sleep } from "node:timers/promises";
import type { Clock, RevokeInput, RevokeResult, Revoker } from "../session/ports.js";
import { RevocationError } from "../session/revocation-error.js";
import { describeAwsError } from "./describe-aws-error.js";
import {
  compactedRevokeDocument,
  compactedRevokeName,
  compactedSessionIds,
  type ParsedRevokeName,
  parseRevokeName,
  sessionIdOf,
  singleRevokeDocument,
  singleRevokeName,
} from "./revoke-policy.js";
import type { AwsClientOptions } from "./sts-issuer.js";

/** Attempts at putting the revoke policy before the revocation is recorded as failed. */
export const REVOKE_ATTEMPTS = 4;
/** Compact single-session policies into one once a role carries this many. */
export const COMPACT_THRESHOLD = 20;
/** Expired revoke policies are deleted only after this margin, for clock skew. */
const EXPIRY_MARGIN_MS = 5 * 60 * 1000;

type IamModule = typeof import("@aws-sdk/client-iam");

export interface IamRevokerOptions extends AwsClientOptions {
  clock: Clock;
  random?: () => number;
  /** Base delay between attempts; doubled each time, with full jitter. */
  backoffMs?: number;
}

// Revokes a session with IAM: an inline Deny on the role for exactly that session's aws:userid,
// retried with backoff; expired revoke policies are cleaned up on the way, and many ended
// sessions are compacted into one tag-based policy so the role's inline-policy limit holds.
export function createIamRevoker(options: IamRevokerOptions): Revoker {
  let loaded: Promise<{ iam: IamModule; client: import("@aws-sdk/client-iam").IAMClient }> | undefined;
  const load = () => {
    loaded ??= (async () => {
      const iam = await import("@aws-sdk/client-iam");
      const client = new iam.IAMClient({
        region: options.region ?? "us-east-1",
        ...(options.profile ? { profile: options.profile } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        maxAttempts: options.maxAttempts ?? 3,
      });
      return { iam, client };
    })();
    return loaded;
  };
  const random = options.random ?? Math.random;
  const backoff = options.backoffMs ?? 250;

  return {
    revoke: async (input: RevokeInput): Promise<RevokeResult> => {
      const { iam, client } = await load();
      const roleName = input.roleArn.slice(input.roleArn.lastIndexOf("/") + 1);
      let assumedRoleId = input.assumedRoleId;
      if (!assumedRoleId) {
        const role = await client.send(new iam.GetRoleCommand({ RoleName: roleName }));
        assumedRoleId = `${role.Role?.RoleId ?? ""}:${input.sessionName}`;
      }
      const policyName = singleRevokeName(input.expiration, input.sessionName);
      const document = singleRevokeDocument(assumedRoleId);
      let note: string | undefined;
      let lastError: unknown;
      let attempts = 0;
      for (let attempt = 1; attempt <= REVOKE_ATTEMPTS; attempt++) {
        attempts = attempt;
        try {
          await client.send(
            new iam.PutRolePolicyCommand({
              RoleName: roleName,
              PolicyName: policyName,
              PolicyDocument: document,
            }),
          );
          note = await tidyRole(
            iam,
            client,
            roleName,
            input.expiration,
            input.sessionName,
            options.clock.now(),
          ).catch(
            (error: unknown) => `clean-up skipped: ${error instanceof Error ? error.message : String(error)}`,
          );
          return { policyName, method: "inline-deny", attempts: attempt, ...(note ? { note } : {}) };
        } catch (error) {
          lastError = error;
          const name = (error as { name?: string }).name ?? "";
          if (name === "LimitExceededException" || name === "LimitExceeded") {
            // The role's 10,240 characters of inline policy are full: make room, then try again.
            const freed = await tidyRole(
              iam,
              client,
              roleName,
              input.expiration,
              input.sessionName,
              options.clock.now(),
              true,
            ).catch(() => undefined);
            note = `role inline-policy limit reached; ${freed ?? "clean-up failed"}`;
            continue;
          }
          if (!isRetryable(error)) break;
          await sleep(Math.floor(random() * backoff * 2 ** (attempt - 1)));
        }
      }
      throw new RevocationError(
        describeAwsError(`Could not revoke session ${input.sessionName} on ${input.roleArn}`, lastError, {
          AccessDenied: IAM_PERMISSIONS_HINT,
        }),
        attempts,
      );
    },
    deleteExpired: async (roleArn: string): Promise<string[]> => {
      const { iam, client } = await load();
      const roleName = roleArn.slice(roleArn.lastIndexOf("/") + 1);
      try {
        const names = await listRevokePolicies(iam, client, roleName);
        const now = options.clock.now();
        const expired = names.filter((policy) => policy.expiresAt + EXPIRY_MARGIN_MS < now);
        for (const policy of expired) {
          await client.send(new iam.DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policy.name }));
        }
        return expired.map((policy) => policy.name);
      } catch (error) {
        throw describeAwsError(`Could not clean up revoke policies on ${roleArn}`, error, {
          AccessDenied: IAM_PERMISSIONS_HINT,
        });
      }
    },
  };
}

const IAM_PERMISSIONS_HINT =
  "the base identity needs iam:PutRolePolicy, iam:ListRolePolicies, iam:GetRolePolicy and iam:DeleteRolePolicy on the role";

// Every taskaccess revoke policy on a role, with what its name says.
async function listRevokePolicies(
  iam: IamModule,
  client: import("@aws-sdk/client-iam").IAMClient,
  roleName: string,
): Promise<Array<ParsedRevokeName & { name: string }>> {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(
      new iam.ListRolePoliciesCommand({
        RoleName: roleName,
        ...(marker ? { Marker: marker } : {}),
        MaxItems: 1000,
      }),
    );
    names.push(...(page.PolicyNames ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return names.flatMap((name) => {
    const parsed = parseRevokeName(name);
    return parsed ? [{ name, ...parsed }] : [];
  });
}

function isRetryable(error: unknown): boolean {
  const e = error as {
    name?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    code?: string;
  };
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    e.$retryable !== undefined ||
    status >= 500 ||
    status === 429 ||
    [
      "Throttling",
      "ThrottlingException",
      "ServiceFailure",
      "ServiceFailureException",
      "TimeoutError",
    ].includes(e.name ?? "") ||
    ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"].includes(e.code ?? "")
  );
}

// Deletes revoke policies whose credentials have expired, and compacts single-session policies
// once there are many. Safe under concurrency: a single policy is deleted only after a compacted
// policy that contains its session has been written and read back, and each process writes only
// compacted policies named after its own session.
async function tidyRole(
  iam: IamModule,
  client: import("@aws-sdk/client-iam").IAMClient,
  roleName: string,
  expiration: Date,
  sessionName: string,
  now: number,
  force = false,
): Promise<string | undefined> {
  const ours = await listRevokePolicies(iam, client, roleName);
  const expired = ours.filter((policy) => policy.expiresAt + EXPIRY_MARGIN_MS < now);
  for (const policy of expired) {
    await client
      .send(new iam.DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policy.name }))
      .catch(() => {});
  }
  const live = ours.filter((policy) => !expired.includes(policy));
  const singles = live.filter((policy) => !policy.compacted);
  if (singles.length < COMPACT_THRESHOLD && !force) {
    return expired.length > 0 ? `deleted ${expired.length} expired revoke policies` : undefined;
  }
  const compacted = live.filter((policy) => policy.compacted);
  const ids = new Set(singles.map((policy) => sessionIdOf(policy.sessionName)));
  for (const policy of compacted) {
    const current = await client.send(
      new iam.GetRolePolicyCommand({ RoleName: roleName, PolicyName: policy.name }),
    );
    for (const id of compactedSessionIds(decodeURIComponent(current.PolicyDocument ?? ""))) ids.add(id);
  }
  if (ids.size === 0) return undefined;
  const latest = Math.max(expiration.getTime(), ...live.map((policy) => policy.expiresAt));
  const name = compactedRevokeName(new Date(latest), sessionName);
  const document = compactedRevokeDocument([...ids]);
  await client.send(
    new iam.PutRolePolicyCommand({ RoleName: roleName, PolicyName: name, PolicyDocument: document }),
  );
  const confirmed = await client.send(new iam.GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
  const stored = new Set(compactedSessionIds(decodeURIComponent(confirmed.PolicyDocument ?? "")));
  const merged = [...singles, ...compacted].filter((policy) => policy.name !== name);
  for (const policy of merged) {
    const covered = policy.compacted ? true : stored.has(sessionIdOf(policy.sessionName));
    if (!covered) continue;
    await client
      .send(new iam.DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policy.name }))
      .catch(() => {});
  }
  return `compacted ${merged.length} revoke policies into ${name}; deleted ${expired.length} expired`;
}
