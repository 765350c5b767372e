// The IAM calls revocation and compaction make on a role's inline policies, and what each of
// taskaccess's policies holds once read back.

import { parseArmedDocument } from "./armed-policy.js";
import { compactedSessionIds, type ParsedRevokeName, parseRevokeName, sessionIdOf } from "./revoke-policy.js";

type IamModule = typeof import("@aws-sdk/client-iam");
type IamClient = import("@aws-sdk/client-iam").IAMClient;

/**
 * IAM's aggregate size of a role's inline policies: "Role policy size cannot exceed 10,240
 * characters", white space not counted (IAM User Guide, "IAM and AWS STS quotas",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). Policy names do
 * not count.
 */
export const ROLE_INLINE_LIMIT = 10_240;
/** Expired revoke policies are deleted only after this margin, for clock skew with AWS. */
export const EXPIRY_MARGIN_MS = 5 * 60 * 1000;

export interface TidyContext {
  iam: IamModule;
  client: IamClient;
  roleName: string;
  now: number;
  random: () => number;
}

export type RevokePolicy = ParsedRevokeName & { name: string };

/** A policy of ours as read back: the session ids it denies, and from when (armed kinds). */
export interface PolicyContents {
  policy: RevokePolicy;
  document: string;
  ids: string[];
  /** Armed kinds only: the deny starts once aws:CurrentTime is after this. */
  activateAt: number | undefined;
}

// Every taskaccess revoke and armed policy on a role, with what its name says.
export async function listRevokePolicies(
  iam: IamModule,
  client: IamClient,
  roleName: string,
): Promise<RevokePolicy[]> {
  return ours(await listRolePolicyNames(iam, client, roleName));
}

// The names among a role's inline policies that are taskaccess's, parsed.
export function ours(names: readonly string[]): RevokePolicy[] {
  return names.flatMap((name) => {
    const parsed = parseRevokeName(name);
    return parsed ? [{ name, ...parsed }] : [];
  });
}

// The names of all of a role's inline policies, taskaccess's and others.
export async function listRolePolicyNames(
  iam: IamModule,
  client: IamClient,
  roleName: string,
): Promise<string[]> {
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
  return names;
}

// What a document counts against the role's limit: its characters other than white space.
export function policySize(document: string): number {
  return document.replace(/\s/g, "").length;
}

// The room left on the role: our documents already read, the others' (`foreign`, names that are
// not taskaccess's) read now. A hint for planning: other runs change it all the time.
export async function freeRoom(
  ctx: TidyContext,
  foreign: readonly string[],
  contents: readonly PolicyContents[],
): Promise<number> {
  let used = contents.reduce((sum, c) => sum + policySize(c.document), 0);
  for (const name of foreign) {
    const document = await readPolicy(ctx, name);
    used += document === undefined ? 0 : policySize(document);
  }
  return ROLE_INLINE_LIMIT - used;
}

// True once a policy's sessions have all expired, with the margin for clock skew.
export function isExpired(policy: RevokePolicy, now: number): boolean {
  return policy.expiresAt + EXPIRY_MARGIN_MS < now;
}

// True for IAM's answer when a role's inline policies would exceed their aggregate size.
export function isLimitExceeded(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name ?? "";
  return name === "LimitExceededException" || name === "LimitExceeded";
}

// The document of one inline policy, decoded; undefined when it is gone or unreadable.
export async function readPolicy(ctx: TidyContext, name: string): Promise<string | undefined> {
  const result = await ctx.client
    .send(new ctx.iam.GetRolePolicyCommand({ RoleName: ctx.roleName, PolicyName: name }))
    .catch(() => undefined);
  return result?.PolicyDocument === undefined ? undefined : decodeURIComponent(result.PolicyDocument);
}

// Writes a policy; false when the role has no room for it (any other error is thrown).
export async function putPolicy(ctx: TidyContext, name: string, document: string): Promise<boolean> {
  try {
    await ctx.client.send(
      new ctx.iam.PutRolePolicyCommand({
        RoleName: ctx.roleName,
        PolicyName: name,
        PolicyDocument: document,
      }),
    );
    return true;
  } catch (error) {
    if (isLimitExceeded(error)) return false;
    throw error;
  }
}

// Deletes a policy; false when that failed (already gone, say): clean-up is best effort.
export async function deletePolicy(ctx: TidyContext, name: string): Promise<boolean> {
  return ctx.client
    .send(new ctx.iam.DeleteRolePolicyCommand({ RoleName: ctx.roleName, PolicyName: name }))
    .then(
      () => true,
      () => false,
    );
}

// Reads a policy and says whom it denies; undefined when it is gone or not what we write.
export async function readContents(
  ctx: TidyContext,
  policy: RevokePolicy,
): Promise<PolicyContents | undefined> {
  const document = await readPolicy(ctx, policy.name);
  if (document === undefined) return undefined;
  const base = { policy, document };
  switch (policy.kind) {
    case "single":
      // By aws:userid, plus the sessions folded into it in place by tag.
      return {
        ...base,
        ids: [sessionIdOf(policy.sessionName), ...compactedSessionIds(document)],
        activateAt: undefined,
      };
    case "shard": {
      const ids = compactedSessionIds(document);
      return ids.length > 0 ? { ...base, ids, activateAt: undefined } : undefined;
    }
    case "armed-single":
    case "armed-bucket": {
      const armed = parseArmedDocument(document);
      if (armed === undefined || (policy.kind === "armed-single") !== (armed.userId !== undefined)) {
        return undefined;
      }
      const ids = policy.kind === "armed-single" ? [sessionIdOf(policy.sessionName)] : armed.sessionIds;
      return ids.length > 0 ? { ...base, ids, activateAt: armed.activateAt } : undefined;
    }
  }
}

/** Reads at a time: a compaction reads every policy of the role, and IAM throttles bursts. */
const READ_CONCURRENCY = 8;

// Reads many policies, a few at a time, keeping the ones that are ours and readable, in order.
export async function readAllContents(
  ctx: TidyContext,
  policies: readonly RevokePolicy[],
): Promise<PolicyContents[]> {
  const results: Array<PolicyContents | undefined> = new Array(policies.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < policies.length; index = next++) {
      results[index] = await readContents(ctx, policies[index] as RevokePolicy);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, policies.length) }, worker));
  return results.filter((contents): contents is PolicyContents => contents !== undefined);
}
