import { baseCredentialOptions } from "./base-credentials.js";
import { describeAwsError } from "./describe-aws-error.js";
import { revocationPolicyHint, revokerSessionPolicy } from "./revocation-path.js";
import { sdkLogger } from "./sdk-logger.js";
import { type AwsClientOptions, endpointOptions } from "./sts-issuer.js";

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface RevokerSessionInput {
  /** The role assumed to revoke: a revoker role, or the task role itself. */
  assumeRoleArn: string;
  /** The task role the session may revoke on (its session policy names only this role). */
  taskRoleArn: string;
  /** Unique per run; a task session's name starts with "ta-", so this can never be one of them. */
  sessionName: string;
  /** Passed on when the role's trust policy asks for one (sts:SetSourceIdentity). */
  sourceIdentity?: string | undefined;
  /** STS ExternalId, when the assumed role is the task role and its task sends one. */
  externalId?: string | undefined;
  now: () => number;
}

/** A revoking session is re-assumed when less than this is left of it. */
const REFRESH_BEFORE_MS = 5 * 60_000;
/** One hour: the most a chained session may last, and at least every role's MaxSessionDuration. */
const REVOKER_DURATION_SECONDS = 3600;

// The credentials of a revoking session, assumed on first use and again before they expire, so
// a run of many hours can still revoke at its end. Never given to the command.
export function createRevokerSession(
  sts: AwsClientOptions,
  input: RevokerSessionInput,
): () => Promise<TemporaryCredentials> {
  let current: Promise<TemporaryCredentials> | undefined;
  return async () => {
    const held = current ? await current.catch(() => undefined) : undefined;
    if (!held || held.expiration.getTime() - input.now() < REFRESH_BEFORE_MS) {
      current = assumeRevoker(sts, input);
    }
    return current ?? assumeRevoker(sts, input);
  };
}

async function assumeRevoker(
  sts: AwsClientOptions,
  input: RevokerSessionInput,
): Promise<TemporaryCredentials> {
  const { STSClient, AssumeRoleCommand } = await import("@aws-sdk/client-sts");
  const client = new STSClient({
    ...(sts.region ? { region: sts.region } : {}),
    ...baseCredentialOptions(sts),
    ...endpointOptions(sts),
    maxAttempts: sts.maxAttempts ?? 3,
    logger: sdkLogger("STS", sts.warn),
  });
  try {
    const result = await client.send(
      new AssumeRoleCommand({
        RoleArn: input.assumeRoleArn,
        RoleSessionName: input.sessionName,
        Policy: revokerSessionPolicy(input.taskRoleArn),
        DurationSeconds: REVOKER_DURATION_SECONDS,
        ...(input.sourceIdentity ? { SourceIdentity: input.sourceIdentity } : {}),
        ...(input.externalId !== undefined ? { ExternalId: input.externalId } : {}),
      }),
    );
    const c = result.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
      throw new Error("the AssumeRole response lacks credentials");
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration ?? new Date(input.now() + REVOKER_DURATION_SECONDS * 1000),
    };
  } catch (error) {
    throw describeAwsError(
      `Could not assume ${input.assumeRoleArn} to revoke sessions of ${input.taskRoleArn}`,
      error,
      {
        AccessDenied: `the base identity needs sts:AssumeRole on ${input.assumeRoleArn} and that role's trust policy must allow it; the role needs ${revocationPolicyHint(input.taskRoleArn)} (docs/security-model.md, "Roles in other accounts")${input.assumeRoleArn === input.taskRoleArn ? "; a task role whose trust policy requires MFA needs a `revoker` role in the task: its revoking session is assumed without MFA (a code is good for one AssumeRole)" : ""}`,
      },
    );
  } finally {
    client.destroy();
  }
}
