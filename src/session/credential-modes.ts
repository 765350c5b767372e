// The credential modes alone, apart from the code that delivers them: shell completion and the
// task schema need the names, and importing them must not load the credential server at start-up.

/** How the command gets its credentials: `run --credentials`, or the task's `credentials`. */
export const CREDENTIAL_MODES = ["env", "server", "file"] as const;
export type CredentialMode = (typeof CREDENTIAL_MODES)[number];
export const DEFAULT_CREDENTIAL_MODE: CredentialMode = "env";

// Whether a value (a flag, a task file field) names a credential mode.
export function isCredentialMode(value: unknown): value is CredentialMode {
  return (CREDENTIAL_MODES as readonly unknown[]).includes(value);
}
