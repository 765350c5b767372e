import type { IssuedCredentials } from "./ports.js";

// Variables that carry or select AWS credentials: none of them may reach the child from the
// parent, or the child could act as the base identity instead of the task's session.
export const STRIPPED_EXACT = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_SECURITY_TOKEN",
  "AWS_PROFILE",
  "AWS_DEFAULT_PROFILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONFIG_FILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
  "AWS_ROLE_SESSION_NAME",
  "AWS_ACCOUNT_ID",
  // Read by the AWS SDK for Java v1 as alternatives to AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
  "AWS_ACCESS_KEY",
  "AWS_SECRET_KEY",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
  // GitHub Actions' OIDC token request: with these the child could mint the job's identity token
  // and assume the base role itself (AssumeRoleWithWebIdentity), outside the task's policy.
  "ACTIONS_ID_TOKEN_REQUEST_URL",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
  // GitLab's predefined job JWTs (removed in GitLab 17.0, still set by older instances).
  "CI_JOB_JWT",
  "CI_JOB_JWT_V1",
  "CI_JOB_JWT_V2",
] as const;
// AWS_BEARER_TOKEN_<SERVICE>: API keys (Amazon Bedrock) that the SDKs use in place of SigV4.
export const STRIPPED_PREFIXES = [
  "AWS_CONTAINER_",
  "AWS_CREDENTIAL_",
  "AWS_SSO_",
  "AWS_VAULT",
  "AWS_BEARER_TOKEN_",
] as const;

export interface ChildEnvInput {
  parent: Readonly<Record<string, string | undefined>>;
  /**
   * The variables that hand the child its credentials, set after the parent's credential variables
   * are stripped: the keys themselves (envCredentialVariables), or where to fetch or read them
   * (credential-delivery.ts).
   */
  credentialVariables: Readonly<Record<string, string>>;
  region: string;
  sessionId: string;
  task: string;
}

export interface ChildEnv {
  env: Record<string, string>;
  /** Names removed from the parent's environment (for --print-env and tests). */
  removed: string[];
  /** Names taskaccess sets. */
  set: string[];
}

// The variables of the `env` delivery mode: the session's keys themselves.
export function envCredentialVariables(
  credentials: Pick<IssuedCredentials, "accessKeyId" | "secretAccessKey" | "sessionToken" | "expiration">,
): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    AWS_CREDENTIAL_EXPIRATION: credentials.expiration.toISOString(),
  };
}

// Builds the child's environment explicitly: the parent's, minus every credential variable,
// plus the session's credential variables, the region, no IMDS fallback, and the nesting marker.
export function buildChildEnv(input: ChildEnvInput): ChildEnv {
  const env: Record<string, string> = {};
  const removed: string[] = [];
  for (const [name, value] of Object.entries(input.parent)) {
    if (value === undefined) continue;
    if (isCredentialVariable(name)) {
      removed.push(name);
      continue;
    }
    env[name] = value;
  }
  const added: Record<string, string> = {
    ...input.credentialVariables,
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    // Without this an SDK that finds no usable credentials falls back to the machine's own role.
    AWS_EC2_METADATA_DISABLED: "true",
    TASKACCESS_SESSION: input.sessionId,
    TASKACCESS_TASK: input.task,
  };
  Object.assign(env, added);
  return { env, removed: removed.sort(), set: Object.keys(added) };
}

// True for a variable that can carry or select AWS credentials.
export function isCredentialVariable(name: string): boolean {
  const upper = name.toUpperCase();
  return (
    (STRIPPED_EXACT as readonly string[]).includes(upper) ||
    STRIPPED_PREFIXES.some((prefix) => upper.startsWith(prefix))
  );
}
