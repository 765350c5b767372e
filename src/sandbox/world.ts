import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import * as z from "zod/mini";
import { ExitCode, TaskAccessError } from "../errors.js";
import { useEnglishZodMessages } from "../util/zod-messages.js";
import { MAX_PROPAGATION_MS } from "./defaults.js";
import { decodeBase32, MIN_SEED_BYTES } from "./totp.js";

const policyDocument = z.union([z.string(), z.record(z.string(), z.unknown())]);
const policies = z.record(z.string(), policyDocument);
const tags = z.record(z.string(), z.string());

const faultStep = z.union([
  z.enum(["Throttling", "InternalError", "ServiceUnavailable", "drop", "ok"]),
  z.strictObject({ delayMs: z.int().check(z.gte(0), z.lte(120_000)) }),
]);
/** Scripted faults per operation, such as `sts:AssumeRole: [Throttling, Throttling, ok]`. */
export const faultScripts = z.record(z.string(), z.array(faultStep));

const propagationMs = z.int().check(z.gte(0), z.lte(MAX_PROPAGATION_MS));
/** How long a change to a user's or role's permission policies takes to reach authorization. */
export const propagationSetting = z.strictObject({
  delayMs: propagationMs,
  jitterMs: z.optional(propagationMs),
});

const bucketName = z.string().check(z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/));
/** At most 100 years ("The maximum retention period is 100 years", Amazon S3 User Guide, "Managing Object Lock"). */
const retentionPeriod = z.int().check(z.gte(1), z.lte(36_500));
/** A default retention: a mode with days or years, never both (botocore s3 model, DefaultRetention). */
const defaultRetention = z.union([
  z.strictObject({ mode: z.enum(["GOVERNANCE", "COMPLIANCE"]), days: retentionPeriod }),
  z.strictObject({ mode: z.enum(["GOVERNANCE", "COMPLIANCE"]), years: z.int().check(z.gte(1), z.lte(100)) }),
]);
/**
 * A bucket of the world: its name, or `{ name, versioning?: true, objectLock?: true | { mode, days | years } }`
 * (Object Lock turns versioning on, as CreateBucket's x-amz-bucket-object-lock-enabled does).
 */
export const worldBucket = z.union([
  bucketName,
  z.strictObject({
    name: bucketName,
    versioning: z.optional(z.literal(true)),
    objectLock: z.optional(z.union([z.literal(true), defaultRetention])),
  }),
]);

/**
 * A virtual MFA device of a user: its serial (an ARN such as arn:aws:iam::123456789012:mfa/base,
 * or a hardware serial; botocore sts model, serialNumberType: 9-256 characters of [\w+=/:,.@-])
 * and its TOTP seed in base32, as CreateVirtualMFADevice's Base32StringSeed (src/sandbox/totp.ts).
 */
export const worldMfaDevice = z.strictObject({
  serial: z.string().check(z.regex(/^[\w+=/:,.@-]{9,256}$/)),
  seed: z.string().check(
    z.refine((seed) => (decodeBase32(seed)?.length ?? 0) >= MIN_SEED_BYTES, {
      error: `must be a base32 seed (A-Z, 2-7) of at least ${MIN_SEED_BYTES} bytes (RFC 4226: 128 bits)`,
    }),
  ),
});

export const worldSchema = z.strictObject({
  accounts: z
    .array(
      z.strictObject({
        id: z.string().check(z.regex(/^\d{12}$/)),
        users: z.optional(
          z.array(
            z.strictObject({
              name: z.string().check(z.regex(/^[\w+=,.@-]{1,64}$/)),
              path: z.optional(z.string()),
              accessKeys: z.optional(
                z.array(
                  z.strictObject({
                    id: z.string().check(z.regex(/^AKIA[A-Z0-9]{12,124}$/)),
                    secret: z.string().check(z.minLength(16)),
                  }),
                ),
              ),
              policies: z.optional(policies),
              managedPolicies: z.optional(z.array(z.string())),
              tags: z.optional(tags),
              mfaDevices: z.optional(z.array(worldMfaDevice)),
            }),
          ),
        ),
        roles: z.optional(
          z.array(
            z.strictObject({
              name: z.string().check(z.regex(/^[\w+=,.@-]{1,64}$/)),
              path: z.optional(z.string().check(z.regex(/^\/(?:[\w+=,.@-]+\/)*$/))),
              trust: policyDocument,
              policies: z.optional(policies),
              managedPolicies: z.optional(z.array(z.string())),
              permissionsBoundary: z.optional(z.string()),
              maxSessionDuration: z.optional(z.int().check(z.gte(3600), z.lte(43_200))),
              tags: z.optional(tags),
            }),
          ),
        ),
        policies: z.optional(
          z.array(
            z.strictObject({
              name: z.string().check(z.regex(/^[\w+=,.@-]{1,128}$/)),
              path: z.optional(z.string()),
              document: policyDocument,
            }),
          ),
        ),
        buckets: z.optional(z.array(worldBucket)),
      }),
    )
    .check(z.minLength(1)),
  faults: z.optional(faultScripts),
  propagation: z.optional(propagationSetting),
});

export type World = z.infer<typeof worldSchema>;
export type FaultStep = z.infer<typeof faultStep>;
export type WorldBucket = z.infer<typeof worldBucket>;
export type PropagationInput = z.infer<typeof propagationSetting>;
export type WorldMfaDevice = z.infer<typeof worldMfaDevice>;

export const DEFAULT_ACCOUNT = "123456789012";

// The built-in world: one account, a base user that may assume the example roles and manage their
// inline policies (what taskaccess needs to revoke), and the roles and buckets the README example
// uses. The roles have a permissions boundary and the base user may not remove it: the guard
// docs/security-model.md asks for, since whoever can write a deny on a role could also write an allow.
export function defaultWorld(): World {
  const account = DEFAULT_ACCOUNT;
  const boundary = `arn:aws:iam::${account}:policy/task-role-boundary`;
  const trustAccount = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
      },
    ],
  };
  return {
    accounts: [
      {
        id: account,
        users: [
          {
            name: "base",
            policies: {
              "assume-task-roles": {
                Version: "2012-10-17",
                Statement: [
                  {
                    Effect: "Allow",
                    Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                    Resource: `arn:aws:iam::${account}:role/*`,
                  },
                  {
                    Effect: "Allow",
                    Action: [
                      "iam:GetRole",
                      "iam:PutRolePolicy",
                      "iam:GetRolePolicy",
                      "iam:DeleteRolePolicy",
                      "iam:ListRolePolicies",
                      "iam:ListAttachedRolePolicies",
                    ],
                    Resource: `arn:aws:iam::${account}:role/*`,
                  },
                  { Effect: "Allow", Action: ["iam:GetPolicy", "iam:GetPolicyVersion"], Resource: "*" },
                  {
                    Effect: "Deny",
                    Action: ["iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"],
                    Resource: `arn:aws:iam::${account}:role/*`,
                  },
                ],
              },
            },
          },
        ],
        roles: [
          {
            name: "deployer",
            trust: trustAccount,
            permissionsBoundary: boundary,
            maxSessionDuration: 43_200,
            policies: {
              releases: {
                Version: "2012-10-17",
                Statement: [
                  {
                    Effect: "Allow",
                    Action: ["s3:*"],
                    Resource: ["arn:aws:s3:::releases", "arn:aws:s3:::releases/*"],
                  },
                  { Effect: "Allow", Action: ["s3:ListAllMyBuckets"], Resource: "*" },
                  {
                    Effect: "Allow",
                    Action: ["ecs:UpdateService", "ecs:DescribeServices"],
                    Resource: `arn:aws:ecs:*:${account}:service/prod/*`,
                  },
                ],
              },
            },
            tags: { purpose: "deploy" },
          },
          {
            name: "reader",
            trust: trustAccount,
            permissionsBoundary: boundary,
            policies: {
              read: {
                Version: "2012-10-17",
                Statement: [
                  {
                    Effect: "Allow",
                    Action: ["s3:GetObject", "s3:ListBucket"],
                    Resource: ["arn:aws:s3:::releases", "arn:aws:s3:::releases/*"],
                  },
                ],
              },
            },
          },
        ],
        buckets: ["releases", "other"],
        policies: [
          {
            name: "task-role-boundary",
            document: {
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Action: ["s3:*", "ecs:*", "sts:*", "iam:Get*", "iam:List*"],
                  Resource: "*",
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

// Reads a world file (YAML or JSON); a bad one is a task-file-class error (exit 65) with the path.
export async function loadWorldFile(path: string): Promise<World> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new TaskAccessError(`cannot read the world file ${path}`, { exitCode: ExitCode.taskFile, cause });
  }
  useEnglishZodMessages();
  const result = worldSchema.safeParse(parse(text, { maxAliasCount: 50 }));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new TaskAccessError(
      `world file ${path}: ${issue ? `${issue.path.join(".") || "(top)"}: ${issue.message}` : "invalid"}`,
      { exitCode: ExitCode.taskFile, hint: "see docs/sandbox.md for the world-file format" },
    );
  }
  checkWorldReferences(result.data, `world file ${path}`);
  return result.data;
}

// The ARN of a customer managed policy of the world: arn:aws:iam::ACCOUNT:policy{path}{name}.
export function worldPolicyArn(account: string, policy: { name: string; path?: string | undefined }): string {
  return `arn:aws:iam::${account}:policy${policy.path ?? "/"}${policy.name}`;
}

// Every managed policy and permissions boundary a user or role names must be a policy of the world,
// as IAM refuses to attach one that does not exist (NoSuchEntity); otherwise a typo would silently
// leave a role without a boundary; and no two MFA devices may share a serial. A bad reference is a
// bad world file: exit 65, naming the ARN or serial.
export function checkWorldReferences(world: World, source: string): void {
  const known = new Set(
    world.accounts.flatMap((account) => (account.policies ?? []).map((p) => worldPolicyArn(account.id, p))),
  );
  const problems: string[] = [];
  const duplicates: string[] = [];
  const serials = new Set<string>();
  for (const [a, account] of world.accounts.entries()) {
    for (const [u, user] of (account.users ?? []).entries()) {
      for (const [m, arn] of (user.managedPolicies ?? []).entries())
        if (!known.has(arn)) problems.push(`accounts.${a}.users.${u}.managedPolicies.${m}: ${arn}`);
      // A serial names one device: STS finds the device, and so its user, by it.
      for (const [d, device] of (user.mfaDevices ?? []).entries()) {
        if (serials.has(device.serial))
          duplicates.push(`accounts.${a}.users.${u}.mfaDevices.${d}.serial: ${device.serial}`);
        serials.add(device.serial);
      }
    }
    for (const [r, role] of (account.roles ?? []).entries()) {
      for (const [m, arn] of (role.managedPolicies ?? []).entries())
        if (!known.has(arn)) problems.push(`accounts.${a}.roles.${r}.managedPolicies.${m}: ${arn}`);
      if (role.permissionsBoundary !== undefined && !known.has(role.permissionsBoundary))
        problems.push(`accounts.${a}.roles.${r}.permissionsBoundary: ${role.permissionsBoundary}`);
    }
  }
  const duplicate = duplicates[0];
  if (duplicate !== undefined) {
    throw new TaskAccessError(`${source}: ${duplicate} is the serial of another MFA device`, {
      exitCode: ExitCode.taskFile,
      hint: "give each MFA device its own serial",
    });
  }
  const first = problems[0];
  if (first === undefined) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  throw new TaskAccessError(`${source}: ${first} is not a policy of the world${more}`, {
    exitCode: ExitCode.taskFile,
    hint: "define the policy under the account's policies (only those and CreatePolicy's exist; AWS managed policies do not)",
  });
}
