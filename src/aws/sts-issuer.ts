import { TaskAccessError, UsageError } from "../errors.js";
import type {
  AssumeRoleInput,
  CallerIdentity,
  CredentialIssuer,
  IssuedCredentials,
} from "../session/ports.js";
import { baseCredentialOptions, type ProfileChain } from "./base-credentials.js";
import { describeAwsError } from "./describe-aws-error.js";
import { missingProfileHint } from "./missing-profile.js";
import { sdkLogger } from "./sdk-logger.js";

export interface AwsClientOptions {
  region?: string | undefined;
  profile?: string | undefined;
  endpoint?: string | undefined;
  /**
   * Set when `endpoint` was resolved by taskaccess (src/cli/aws-options.ts): none found then means
   * the region's own endpoint, and the SDK must not look again (it would read AWS_PROFILE's).
   */
  endpointResolved?: boolean | undefined;
  /** Attempts per call, including the first (the SDK's standard retry: backoff with jitter). */
  maxAttempts?: number | undefined;
  /** Per-request socket timeout. */
  requestTimeoutMs?: number | undefined;
  /**
   * With --profile: where that profile's own AssumeRole (role_arn) goes (src/aws/base-credentials.ts),
   * which the SDK would otherwise take from AWS_PROFILE's profile.
   */
  profileChain?: ProfileChain | undefined;
  /** Fixed base credentials instead of the SDK's default chain (tests, the demo). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  /** Told the SDK's warnings that matter, in taskaccess's words (sdk-logger.ts); the rest is dropped. */
  warn?: ((message: string) => void) | undefined;
}

// The endpoint part of a client's configuration: the one given, or, when taskaccess resolved none,
// the SDK told not to resolve one itself (so --profile NAME never meets AWS_PROFILE's endpoint).
export function endpointOptions(
  options: Pick<AwsClientOptions, "endpoint" | "endpointResolved">,
): { endpoint: string } | { ignoreConfiguredEndpointUrls: true } | Record<string, never> {
  if (options.endpoint) return { endpoint: options.endpoint };
  return options.endpointResolved ? { ignoreConfiguredEndpointUrls: true } : {};
}

/** Retry budget for STS calls: throttling and 5xx are retried with backoff and jitter by the SDK. */
export const DEFAULT_MAX_ATTEMPTS = 4;

// The STS side of a run, over AWS SDK v3. The SDK is loaded only when a command calls AWS, so
// validate/explain start fast.
export function createStsIssuer(options: AwsClientOptions): CredentialIssuer {
  let clientPromise: Promise<import("@aws-sdk/client-sts").STSClient> | undefined;
  const client = async () => {
    clientPromise ??= (async () => {
      const { STSClient } = await import("@aws-sdk/client-sts");
      const { NodeHttpHandler } = await import("@smithy/node-http-handler");
      return new STSClient({
        ...(options.region ? { region: options.region } : {}),
        ...baseCredentialOptions(options),
        ...endpointOptions(options),
        maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        logger: sdkLogger("STS", options.warn),
        requestHandler: new NodeHttpHandler({
          connectionTimeout: 5_000,
          requestTimeout: options.requestTimeoutMs ?? 15_000,
        }),
      });
    })();
    return clientPromise;
  };
  return {
    region: async () => {
      try {
        return await (await client()).config.region();
      } catch (error) {
        // A region is configuration, not an AWS failure: a usage error the user can act on.
        throw new UsageError(
          `no AWS region: ${error instanceof Error ? error.message : String(error)}`,
          "set region in the task file, pass --region, or set AWS_REGION or AWS_DEFAULT_REGION",
        );
      }
    },
    callerIdentity: async (signal?: AbortSignal): Promise<CallerIdentity> => {
      const { GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
      try {
        const result = await (await client()).send(
          new GetCallerIdentityCommand({}),
          signal ? { abortSignal: signal } : {},
        );
        return { arn: result.Arn ?? "", account: result.Account ?? "", userId: result.UserId ?? "" };
      } catch (error) {
        // process.env, not the CLI's env: the hint explains what the SDK's default chain read, and it reads process.env.
        const hint = await missingProfileHint(options.profile, process.env);
        throw describeAwsError(
          "Could not identify the base credentials (sts:GetCallerIdentity)",
          error,
          hint ? { CredentialsProviderError: hint } : {},
        );
      }
    },
    assumeRole: async (input: AssumeRoleInput): Promise<IssuedCredentials> => {
      const { AssumeRoleCommand } = await import("@aws-sdk/client-sts");
      try {
        const result = await (await client()).send(
          new AssumeRoleCommand({
            RoleArn: input.roleArn,
            RoleSessionName: input.sessionName,
            Policy: input.policy,
            ...(input.policyArns.length > 0 ? { PolicyArns: input.policyArns.map((arn) => ({ arn })) } : {}),
            DurationSeconds: input.durationSeconds,
            ...(input.sourceIdentity ? { SourceIdentity: input.sourceIdentity } : {}),
            Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
            ...(input.externalId !== undefined ? { ExternalId: input.externalId } : {}),
            ...(input.mfa ? { SerialNumber: input.mfa.serialNumber, TokenCode: input.mfa.tokenCode } : {}),
          }),
          input.signal ? { abortSignal: input.signal } : {},
        );
        const credentials = result.Credentials;
        const user = result.AssumedRoleUser;
        if (
          !credentials?.AccessKeyId ||
          !credentials.SecretAccessKey ||
          !credentials.SessionToken ||
          !user?.AssumedRoleId
        ) {
          throw new Error("the AssumeRole response lacks credentials");
        }
        return {
          accessKeyId: credentials.AccessKeyId,
          secretAccessKey: credentials.SecretAccessKey,
          sessionToken: credentials.SessionToken,
          expiration: credentials.Expiration ?? new Date(Date.now() + input.durationSeconds * 1000),
          assumedRoleId: user.AssumedRoleId,
          assumedRoleArn: user.Arn ?? "",
          packedPolicySize: result.PackedPolicySize,
          sourceIdentity: result.SourceIdentity,
        };
      } catch (error) {
        const described = describeAwsError(`Could not assume role ${input.roleArn}`, error, {
          AccessDenied: accessDeniedHint(error, input),
          PackedPolicyTooLarge:
            "the session policy plus tags is too large once packed; shorten the task's allow list or its tags",
          MalformedPolicyDocument:
            "STS refused the rendered session policy; run `taskaccess explain` to see it",
          MalformedPolicyDocumentException:
            "STS refused the rendered session policy; run `taskaccess explain` to see it",
          PackedPolicyTooLargeException:
            "the session policy plus tags is too large once packed; shorten the task's allow list or its tags",
          ValidationError: "lower the task's duration, or raise the role's MaxSessionDuration",
        });
        throw withoutCode(described, input.mfa?.tokenCode);
      }
    },
  };
}

// STS answers a failed MFA check with AccessDenied and a message of its own ("MultiFactorAuthentication
// failed …", src/sandbox/mfa.ts has the texts); anything else is the trust policy or the caller's.
function accessDeniedHint(error: unknown, input: AssumeRoleInput): string {
  const message = error instanceof Error ? error.message : "";
  if (input.mfa && /^MultiFactorAuthentication failed/.test(message)) {
    return `check that ${input.mfa.serialNumber} is the base identity's MFA device; a code is good for one AssumeRole: wait for the device's next code and run again`;
  }
  const needs =
    "the base identity needs sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity on the role, and the role's trust policy must allow them for it";
  return input.externalId === undefined
    ? needs
    : `${needs}, with the task's externalId (a trust policy's sts:ExternalId condition compares it exactly)`;
}

// The MFA code never appears in an error: STS does not echo it (taskaccess sends only six digits,
// checked before), but an answer that did would have it quoted, as in a ValidationError's 'value'.
function withoutCode(error: TaskAccessError, code: string | undefined): TaskAccessError {
  if (code === undefined || !error.message.includes(`'${code}'`)) return error;
  return new TaskAccessError(error.message.replaceAll(`'${code}'`, "'******'"), {
    exitCode: error.exitCode,
    hint: error.hint,
    cause: error.cause,
  });
}
