import { setTimeout as sleep } from "node:timers/promises";
import type { Clock, RevokeInput, RevokeResult, Revoker } from "../session/ports.js";
import { RevocationError } from "../session/revocation-error.js";
import {
  type Compacted,
  compactRevokePolicies,
  EXPIRY_MARGIN_MS,
  isLimitExceeded,
  listRevokePolicies,
} from "./compact-revoke-policies.js";
import { describeAwsError } from "./describe-aws-error.js";
import { singleRevokeDocument, singleRevokeName } from "./revoke-policy.js";
import type { AwsClientOptions } from "./sts-issuer.js";

/**
 * Attempts at putting the revoke policy before the revocation is recorded as failed: enough for
 * 50 runs ending at once on a full role to take turns compacting (with jittered backoff).
 */
export const REVOKE_ATTEMPTS = 8;
type IamModule = typeof import("@aws-sdk/client-iam");

export interface IamRevokerOptions extends AwsClientOptions {
  clock: Clock;
  random?: () => number;
  /** Base delay between attempts; doubled each time, with full jitter. */
  backoffMs?: number;
  /**
   * Runs one revocation at a time per role on this machine (the CLI passes a file lock), so that
   * many runs ending at once take turns instead of filling the role's inline-policy space together.
   */
  serialize?: <T>(roleArn: string, fn: () => Promise<T>) => Promise<T>;
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
        ...(options.credentials ? { credentials: options.credentials } : {}),
        maxAttempts: options.maxAttempts ?? 3,
      });
      return { iam, client };
    })();
    return loaded;
  };
  const random = options.random ?? Math.random;
  const backoff = options.backoffMs ?? 250;

  const revokeNow = async (input: RevokeInput): Promise<RevokeResult> => {
    const { iam, client } = await load();
    const roleName = input.roleArn.slice(input.roleArn.lastIndexOf("/") + 1);
    let assumedRoleId = input.assumedRoleId;
    if (!assumedRoleId) {
      const role = await client.send(new iam.GetRoleCommand({ RoleName: roleName }));
      assumedRoleId = `${role.Role?.RoleId ?? ""}:${input.sessionName}`;
    }
    const policyName = singleRevokeName(input.expiration, input.sessionName);
    const document = singleRevokeDocument(assumedRoleId);
    const own = { id: input.sessionTag, expiresAt: input.expiration.getTime() };
    let lastError: unknown;
    let attempts = 0;
    const tidy = () => ({ iam, client, roleName, now: options.clock.now(), random });
    let full = false;
    const revokedByShard = (compacted: unknown, attempt: number): RevokeResult | undefined =>
      isCompacted(compacted) && compacted.covered.has(own.id)
        ? {
            policyName: compacted.policy,
            method: "inline-deny",
            attempts: attempt,
            note: `role inline-policy space full; revoked by session tag: ${compacted.note}`,
          }
        : undefined;
    for (let attempt = 1; attempt <= REVOKE_ATTEMPTS; attempt++) {
      attempts = attempt;
      try {
        if (full) {
          // The role was full a moment ago: a shard that also folds others in frees room, where
          // a single policy would take the room that other runs are waiting for.
          const compacted = await compactRevokePolicies(tidy(), input.sessionName, { own }).catch(
            (compactError: unknown) => compactError,
          );
          const result = revokedByShard(compacted, attempt);
          if (result) return result;
          if (compacted instanceof Error && !isLimitExceeded(compacted)) throw compacted;
        }
        await client.send(
          new iam.PutRolePolicyCommand({
            RoleName: roleName,
            PolicyName: policyName,
            PolicyDocument: document,
          }),
        );
      } catch (error) {
        lastError = error;
        if (isLimitExceeded(error)) {
          // The role's 10,240 characters of inline policy are full: fold ended sessions, this one
          // included, into a shard; once that shard is confirmed this session is revoked.
          full = true;
          const compacted = await compactRevokePolicies(tidy(), input.sessionName, { own }).catch(
            (compactError: unknown) => compactError,
          );
          const result = revokedByShard(compacted, attempt);
          if (result) return result;
          if (compacted instanceof Error && !isLimitExceeded(compacted)) lastError = compacted;
        } else if (!isRetryable(error)) {
          break;
        }
        await sleep(Math.floor(random() * backoff * 2 ** (attempt - 1)));
        continue;
      }
      // Leave the role with room: a fold in place frees some, after which a shard may fit.
      const notes: string[] = [];
      for (let round = 0; round < 3; round++) {
        const compacted = await compactRevokePolicies(tidy(), input.sessionName, {
          ownPolicy: policyName,
        }).catch(
          (error: unknown) => `clean-up skipped: ${error instanceof Error ? error.message : String(error)}`,
        );
        const text = typeof compacted === "string" ? compacted : compacted?.note;
        if (text) notes.push(text);
        if (!isCompacted(compacted) || !compacted.note.startsWith("role nearly full")) break;
      }
      const note = notes.join("; ") || undefined;
      return { policyName, method: "inline-deny", attempts: attempt, ...(note ? { note } : {}) };
    }
    throw new RevocationError(
      describeAwsError(`Could not revoke session ${input.sessionName} on ${input.roleArn}`, lastError, {
        AccessDenied: IAM_PERMISSIONS_HINT,
        LimitExceeded:
          "the role's inline policies are full even after compaction: delete inline policies that are not taskaccess's, or run `taskaccess gc`, then `taskaccess revoke --pending`",
      }),
      attempts,
    );
  };

  return {
    revoke: async (input: RevokeInput): Promise<RevokeResult> =>
      options.serialize ? options.serialize(input.roleArn, () => revokeNow(input)) : revokeNow(input),
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

function isCompacted(value: unknown): value is Compacted {
  return typeof value === "object" && value !== null && "covered" in value && "policy" in value;
}
