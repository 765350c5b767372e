import { randomBytes } from "node:crypto";
import { baseCredentialOptions } from "./base-credentials.js";
import { iamRegionFor } from "./iam-partition.js";
import type { IamRevokerOptions } from "./iam-revoker.js";
import { chooseRevocationPath, type RevocationPath } from "./revocation-path.js";
import { permissionsHintFor, type RevokerContext } from "./revoker-context.js";
import { createRevokerSession } from "./revoker-session.js";
import { sdkLogger } from "./sdk-logger.js";
import { createStsIssuer, endpointOptions } from "./sts-issuer.js";

type IamModule = typeof import("@aws-sdk/client-iam");
type IamClient = import("@aws-sdk/client-iam").IAMClient;

// The IAM context of each role, built once: the revocation path decides whose credentials the
// client signs with (the base identity's, or a revoking session's in the role's account), the
// role ARN's partition decides the endpoint's signing region.
export function revokerContextFactory(
  options: IamRevokerOptions,
): (roleArn: string) => Promise<RevokerContext> {
  const contexts = new Map<string, Promise<RevokerContext>>();
  const callerAccount = memoize(options.callerAccount ?? (() => baseAccount(options)));
  const sessionName = options.revokerSessionName ?? `taskaccess-revoker-${randomBytes(6).toString("hex")}`;
  const build = async (roleArn: string): Promise<RevokerContext> => {
    const path = chooseRevocationPath(roleArn, await callerAccount(), options.revokerRoleFor?.(roleArn));
    const iam = await import("@aws-sdk/client-iam");
    return {
      iam,
      client: iamClient(iam, options, iamRegionFor(roleArn), roleArn, path, sessionName),
      roleArn,
      roleName: roleArn.slice(roleArn.lastIndexOf("/") + 1),
      clock: options.clock,
      random: options.random ?? Math.random,
      backoffMs: options.backoffMs ?? 250,
      serialize: options.serialize,
      via: path.via,
      revokerRoleArn: path.assumeRoleArn,
      permissionsHint: permissionsHintFor(path.via, roleArn, path.assumeRoleArn),
    };
  };
  return (roleArn) => {
    let context = contexts.get(roleArn);
    if (!context) {
      context = build(roleArn);
      // A failure (no caller identity yet) is not kept: the next call tries again.
      context.catch(() => contexts.delete(roleArn));
      contexts.set(roleArn, context);
    }
    return context;
  };
}

function iamClient(
  iam: IamModule,
  options: IamRevokerOptions,
  region: string,
  roleArn: string,
  path: RevocationPath,
  sessionName: string,
): IamClient {
  const assumed = path.assumeRoleArn
    ? createRevokerSession(options.sts ?? options, {
        assumeRoleArn: path.assumeRoleArn,
        taskRoleArn: roleArn,
        sessionName,
        sourceIdentity: options.sourceIdentity,
        // A revoker role is a role of its own, with its own trust policy; the task role's session
        // needs what the task's AssumeRole sends.
        externalId: path.via === "role-session" ? options.externalIdFor?.(roleArn) : undefined,
        now: options.clock.now,
      })
    : undefined;
  return new iam.IAMClient({
    region,
    ...(assumed ? { credentials: assumed } : baseCredentialOptions(options)),
    ...endpointOptions(options),
    maxAttempts: options.maxAttempts ?? 3,
    logger: sdkLogger("IAM", options.warn),
  });
}

async function baseAccount(options: IamRevokerOptions): Promise<string> {
  return (await createStsIssuer(options.sts ?? options).callerIdentity()).account;
}

function memoize<T>(fn: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= fn().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}
