import { ExitCode, type ExitCodeValue, TaskAccessError } from "../errors.js";

interface AwsErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

const ACCESS_CODES = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "ExpiredTokenException",
  "UnrecognizedClientException",
  "InvalidAccessKeyId",
]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
]);

// Turns an SDK error into a TaskAccessError that says what failed, with the exit code a script can
// act on: 77 when AWS said no (or the base credentials are missing or expired), 69 when AWS could
// not be reached or kept failing, 65 when the request itself was wrong.
export function describeAwsError(
  what: string,
  error: unknown,
  hints: Partial<Record<string, string>> = {},
): TaskAccessError {
  const e = (error ?? {}) as AwsErrorLike;
  const name = e.name ?? "Error";
  const message = (e.message ?? String(error)).replace(/\s+/g, " ").trim();
  let exitCode: ExitCodeValue = ExitCode.unavailable;
  let hint: string | undefined = hints[name];
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message)) {
    exitCode = ExitCode.accessDenied;
    hint ??=
      "no base credentials were found (tried environment variables, the shared config and credentials files / AWS_PROFILE incl. SSO, web identity, the container endpoint and instance metadata); set AWS_PROFILE or use --profile, or run `aws sso login`";
  } else if (ACCESS_CODES.has(name)) {
    exitCode = ExitCode.accessDenied;
    if (name === "ExpiredToken" || name === "ExpiredTokenException") {
      hint ??= "the base credentials have expired; refresh them (for example `aws sso login`) and try again";
    }
  } else if (NETWORK_CODES.has(e.code ?? "") || name === "TimeoutError" || name === "AbortError") {
    exitCode = ExitCode.unavailable;
    hint ??= "check the network, the region and --endpoint-url / AWS_ENDPOINT_URL";
  } else if (
    e.$fault === "client" &&
    e.$metadata?.httpStatusCode !== 429 &&
    name !== "Throttling" &&
    name !== "ThrottlingException"
  ) {
    exitCode = ExitCode.taskFile;
  }
  return new TaskAccessError(`${what}: ${name}: ${message}`, { exitCode, hint, cause: error });
}
