import { ExitCode, TaskAccessError } from "../errors.js";
import type { NamedPolicy, PolicyDocument } from "../iam/index.js";
import { parsePolicyDocument, validatePolicyDocument } from "../iam/index.js";
import { makeId, makeSecret, type RandomSource } from "./ids.js";
import {
  drawDelay,
  effectivePolicies,
  NO_PROPAGATION,
  type PendingPolicies,
  type PolicyChange,
  type PropagationSetting,
  recordChange,
} from "./propagation.js";
import { bucketFromWorld } from "./s3-buckets.js";
import { decodeBase32, MIN_SEED_BYTES } from "./totp.js";
import { checkWorldReferences, type World } from "./world.js";

export interface UserEntity {
  kind: "user";
  account: string;
  name: string;
  path: string;
  arn: string;
  userId: string;
  inline: Map<string, string>;
  managed: string[];
  tags: Record<string, string>;
  /** Policy changes not yet effective for authorization (see propagation.ts). */
  pending?: PendingPolicies | undefined;
}

export interface RoleEntity {
  kind: "role";
  account: string;
  name: string;
  path: string;
  arn: string;
  roleId: string;
  trust: string;
  inline: Map<string, string>;
  managed: string[];
  boundary?: string | undefined;
  maxSessionDuration: number;
  tags: Record<string, string>;
  createDate: number;
  /** Policy changes not yet effective for authorization (see propagation.ts). */
  pending?: PendingPolicies | undefined;
}

export interface ManagedPolicy {
  arn: string;
  name: string;
  path: string;
  policyId: string;
  account: string;
  document: string;
  versionId: string;
  attachmentCount: number;
  /** Users and roles whose permissions boundary this is (GetPolicy's PermissionsBoundaryUsageCount). */
  boundaryUsageCount: number;
  createDate: number;
}

export interface LongTermKey {
  kind: "user-key";
  accessKeyId: string;
  secretAccessKey: string;
  user: UserEntity;
}

export interface SessionKey {
  kind: "session";
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  role: RoleEntity;
  sessionName: string;
  assumedRoleId: string;
  assumedRoleArn: string;
  expiration: number;
  issuedAt: number;
  sessionPolicies: NamedPolicy[];
  hasSessionPolicies: boolean;
  tags: Record<string, string>;
  transitiveTagKeys: string[];
  sourceIdentity?: string | undefined;
  /** True when the caller that assumed the role was itself a role session (role chaining). */
  chained: boolean;
  /** When AssumeRole checked an MFA code for this session (sandbox clock, ms); absent without MFA. */
  mfaAuthenticatedAt?: number | undefined;
}

export type CredentialRecord = LongTermKey | SessionKey;

/** A user's virtual MFA device (world file `mfaDevices`), checked by AssumeRole (src/sandbox/mfa.ts). */
export interface MfaDevice {
  serial: string;
  seed: Buffer;
  user: UserEntity;
  /**
   * The TOTP time step of the last code accepted: a code of this step or an earlier one is refused,
   * so a code is good once (RFC 6238 section 5.2).
   */
  lastStep?: number | undefined;
}

/** The two Object Lock retention modes (botocore s3 model, shape ObjectLockRetentionMode). */
export type RetentionMode = "GOVERNANCE" | "COMPLIANCE";

/** An object version's Object Lock retention: protected until `retainUntil` (epoch ms). */
export interface ObjectRetention {
  mode: RetentionMode;
  retainUntil: number;
}

/** A bucket's default retention (DefaultRetention: a mode with Days or Years, never both). */
export interface DefaultRetention {
  mode: RetentionMode;
  days?: number | undefined;
  years?: number | undefined;
}

/** Object Lock is on for the bucket; new object versions get `defaultRetention` when it is set. */
export interface ObjectLockSettings {
  defaultRetention?: DefaultRetention | undefined;
}

export interface S3Object {
  body: Buffer;
  etag: string;
  contentType: string;
  lastModified: number;
  metadata: Record<string, string>;
  /** "null" unless written while versioning was Enabled (Amazon S3 User Guide, "Working with versioning"). */
  versionId: string;
  retention?: ObjectRetention | undefined;
}

/** A delete marker: a version without content that hides the key (Amazon S3 User Guide, "Working with delete markers"). */
export interface DeleteMarker {
  deleteMarker: true;
  versionId: string;
  lastModified: number;
}

export type ObjectVersion = S3Object | DeleteMarker;

/** GetBucketVersioning's Status; a bucket whose versioning was never set has none. */
export type VersioningStatus = "Enabled" | "Suspended";

export interface Bucket {
  name: string;
  account: string;
  createDate: number;
  /** Each key's current version when it is an object (not a delete marker): what ListObjects sees. */
  objects: Map<string, S3Object>;
  /** Every version of each key, newest first; s3-versions.ts changes it and keeps `objects` in step. */
  versions: Map<string, ObjectVersion[]>;
  versioning?: VersioningStatus | undefined;
  /** Present once Object Lock is enabled (it cannot be disabled again). */
  objectLock?: ObjectLockSettings | undefined;
}

// Everything the sandbox knows, in memory: the world it was started with, plus what clients did.
export class SandboxState {
  readonly users = new Map<string, UserEntity>();
  readonly roles = new Map<string, RoleEntity>();
  readonly policies = new Map<string, ManagedPolicy>();
  readonly credentials = new Map<string, CredentialRecord>();
  readonly buckets = new Map<string, Bucket>();
  /** Virtual MFA devices by serial. */
  readonly mfaDevices = new Map<string, MfaDevice>();
  readonly random: RandomSource;
  /** How long policy changes take to reach authorization; replaced whole, never mutated. */
  propagation: PropagationSetting = { ...NO_PROPAGATION };

  constructor(world: World, random: RandomSource, now: number) {
    this.random = random;
    // loadWorldFile checks this with the file's name; a world given in-process is checked here.
    checkWorldReferences(world, "world");
    for (const account of world.accounts) {
      for (const policy of account.policies ?? []) {
        this.addManagedPolicy(
          account.id,
          policy.name,
          policy.path ?? "/",
          checkedJson(policy.document, policy.name),
          now,
        );
      }
    }
    for (const account of world.accounts) {
      for (const user of account.users ?? []) {
        const path = user.path ?? "/";
        const entity: UserEntity = {
          kind: "user",
          account: account.id,
          name: user.name,
          path,
          arn: `arn:aws:iam::${account.id}:user${path}${user.name}`,
          userId: makeId(random, "AIDA"),
          inline: new Map(
            Object.entries(user.policies ?? {}).map(([name, doc]) => [name, checkedJson(doc, name)]),
          ),
          managed: [],
          tags: user.tags ?? {},
        };
        for (const arn of user.managedPolicies ?? []) this.attach(entity, arn);
        this.users.set(entity.arn, entity);
        for (const device of user.mfaDevices ?? []) {
          this.mfaDevices.set(device.serial, {
            serial: device.serial,
            seed: checkedSeed(device),
            user: entity,
          });
        }
        const keys = user.accessKeys ?? [{ id: makeId(random, "AKIA"), secret: makeSecret(random) }];
        for (const key of keys) {
          this.credentials.set(key.id, {
            kind: "user-key",
            accessKeyId: key.id,
            secretAccessKey: key.secret,
            user: entity,
          });
        }
      }
      for (const role of account.roles ?? []) {
        this.createRole({
          account: account.id,
          name: role.name,
          path: role.path ?? "/",
          trust: checkedJson(role.trust, `${role.name} trust policy`, "trust"),
          maxSessionDuration: role.maxSessionDuration ?? 3600,
          tags: role.tags ?? {},
          boundary: role.permissionsBoundary,
          now,
          inline: Object.entries(role.policies ?? {}).map(([name, doc]) => [name, checkedJson(doc, name)]),
          managed: role.managedPolicies ?? [],
        });
      }
      for (const entry of account.buckets ?? []) {
        const bucket = bucketFromWorld(entry, account.id, now);
        this.buckets.set(bucket.name, bucket);
      }
    }
  }

  // Adds a role (from the world file or CreateRole).
  createRole(input: {
    account: string;
    name: string;
    path: string;
    trust: string;
    maxSessionDuration: number;
    tags: Record<string, string>;
    boundary?: string | undefined;
    now: number;
    inline?: Array<[string, string]>;
    managed?: string[];
  }): RoleEntity {
    const role: RoleEntity = {
      kind: "role",
      account: input.account,
      name: input.name,
      path: input.path,
      arn: `arn:aws:iam::${input.account}:role${input.path}${input.name}`,
      roleId: makeId(this.random, "AROA"),
      trust: input.trust,
      inline: new Map(input.inline ?? []),
      managed: [],
      boundary: input.boundary,
      maxSessionDuration: input.maxSessionDuration,
      tags: input.tags,
      createDate: input.now,
    };
    for (const arn of input.managed ?? []) this.attach(role, arn);
    const boundary = input.boundary === undefined ? undefined : this.policies.get(input.boundary);
    if (boundary) boundary.boundaryUsageCount += 1;
    this.roles.set(role.arn, role);
    return role;
  }

  // Attaches a managed policy to a user or role once, counting the attachment (GetPolicy's
  // AttachmentCount). Returns false when it was attached already. Given `now` (AttachRolePolicy), the
  // attachment reaches authorization after the propagation delay; without (the world), at once.
  attach(entity: UserEntity | RoleEntity, arn: string, now?: number): boolean {
    if (entity.managed.includes(arn)) return false;
    const change: PolicyChange = (view) => {
      if (!view.managed.includes(arn)) view.managed.push(arn);
    };
    if (now === undefined) change(entity);
    else this.changePolicies(entity, now, change);
    const policy = this.policies.get(arn);
    if (policy) policy.attachmentCount += 1;
    return true;
  }

  // A change to a user's or role's permission policies through the API: IAM's reads see it at once,
  // authorization after the propagation delay.
  changePolicies(entity: UserEntity | RoleEntity, now: number, change: PolicyChange): void {
    recordChange(entity, change, now, drawDelay(this.propagation, this.random));
  }

  // Adds a customer managed policy.
  addManagedPolicy(
    account: string,
    name: string,
    path: string,
    document: string,
    now: number,
  ): ManagedPolicy {
    const policy: ManagedPolicy = {
      arn: `arn:aws:iam::${account}:policy${path}${name}`,
      name,
      path,
      policyId: makeId(this.random, "ANPA"),
      account,
      document,
      versionId: "v1",
      attachmentCount: 0,
      boundaryUsageCount: 0,
      createDate: now,
    };
    this.policies.set(policy.arn, policy);
    return policy;
  }

  // Finds a role by name within an account, whatever its path (IAM role names are unique per account).
  findRole(account: string, name: string): RoleEntity | undefined {
    for (const role of this.roles.values()) if (role.account === account && role.name === name) return role;
    return undefined;
  }

  // A role's or user's identity policies, inline and managed, as the evaluator wants them: those in
  // effect at `now`, which lag behind the entity's own while a change propagates.
  identityPolicies(entity: UserEntity | RoleEntity, now: number): NamedPolicy[] {
    const view = effectivePolicies(entity, now);
    const named: NamedPolicy[] = [];
    for (const [name, json] of view.inline) named.push({ name, document: parseStored(json) });
    for (const arn of view.managed) {
      const policy = this.policies.get(arn);
      if (policy) named.push({ name: policy.name, document: parseStored(policy.document) });
    }
    return named;
  }

  // The permissions boundary of a role or user, when it has one.
  boundaryPolicy(entity: RoleEntity): NamedPolicy | undefined {
    if (!entity.boundary) return undefined;
    const policy = this.policies.get(entity.boundary);
    return policy ? { name: policy.name, document: parseStored(policy.document) } : undefined;
  }
}

function asJson(document: string | Record<string, unknown>): string {
  return typeof document === "string" ? document : JSON.stringify(document);
}

// World-file policies are checked when the sandbox starts, so a typo fails loudly there.
function checkedJson(
  document: string | Record<string, unknown>,
  name: string,
  kind: "identity" | "trust" = "identity",
): string {
  const json = asJson(document);
  try {
    parsePolicyDocument(json, { kind });
  } catch (error) {
    // A bad world file, not a bug: exit 65 like the world file's other errors.
    throw new TaskAccessError(
      `world: policy ${name}: ${error instanceof Error ? error.message : String(error)}`,
      {
        exitCode: ExitCode.taskFile,
        hint: "see docs/sandbox.md for the world-file format",
      },
    );
  }
  return json;
}

// A world given in-process skips the world file's schema: its seeds are checked here.
function checkedSeed(device: { serial: string; seed: string }): Buffer {
  const seed = decodeBase32(device.seed);
  if (seed === undefined || seed.length < MIN_SEED_BYTES) {
    throw new TaskAccessError(
      `world: MFA device ${device.serial}: the seed is not base32 of at least ${MIN_SEED_BYTES} bytes`,
      {
        exitCode: ExitCode.taskFile,
        hint: "see docs/sandbox.md for the world-file format",
      },
    );
  }
  return seed;
}

function parseStored(json: string): PolicyDocument {
  return validatePolicyDocument(JSON.parse(json) as unknown);
}
