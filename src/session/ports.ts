// The small interfaces the run lifecycle depends on; adapters in src/aws and src/audit implement
// them, and tests can pass their own. No AWS SDK type crosses this boundary.

export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

export interface AssumeRoleInput {
  roleArn: string;
  sessionName: string;
  policy: string;
  policyArns: string[];
  durationSeconds: number;
  sourceIdentity?: string | undefined;
  tags: Record<string, string>;
  /** STS ExternalId, for a trust policy's sts:ExternalId condition. */
  externalId?: string | undefined;
  /** STS SerialNumber and TokenCode: the MFA device and its one-time code (never logged). */
  mfa?: { serialNumber: string; tokenCode: string } | undefined;
  signal?: AbortSignal | undefined;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  assumedRoleId: string;
  assumedRoleArn: string;
  packedPolicySize?: number | undefined;
  sourceIdentity?: string | undefined;
}

// Gets the base identity and turns it into task credentials (STS).
export interface CredentialIssuer {
  callerIdentity: (signal?: AbortSignal) => Promise<CallerIdentity>;
  assumeRole: (input: AssumeRoleInput) => Promise<IssuedCredentials>;
  /** The region the issuer resolved (flag, task, environment or profile). */
  region: () => Promise<string>;
}

export interface RevokeInput {
  roleArn: string;
  sessionName: string;
  /** AROA…:session; when unknown (a crash before it was logged) the revoker looks the role id up. */
  assumedRoleId?: string | undefined;
  sessionTag: string;
  expiration: Date;
}

export interface RevokeResult {
  policyName: string;
  method: "inline-deny" | "fallback";
  attempts: number;
  note?: string | undefined;
}

export interface ArmInput extends RevokeInput {
  /** The moment the deny takes effect by itself: the task's deadline (start + timeout, capped by expiry). */
  activateAt: Date;
}

/** How a role's sessions will be revoked, as found before any credentials are issued. */
export interface RevocationReadiness {
  /** caller: the base identity; role-session: a session of the task role; revoker-role: the task's revoker role. */
  via: "caller" | "role-session" | "revoker-role";
  /** The role assumed to write the denies; undefined when the base identity writes them. */
  revokerRole?: string | undefined;
  /** The role's permissions boundary (an ARN), none, or unknown when IAM would not say. */
  boundary: { state: "set"; arn: string } | { state: "none" } | { state: "unknown"; why: string };
}

// Makes a session's credentials unusable before they expire (IAM).
export interface Revoker {
  /**
   * Checks, before any credentials are issued, that an identity in the role's account can write
   * its denies; throws a TaskAccessError (with the policy to add as its hint) when none can.
   */
  prepare: (roleArn: string) => Promise<RevocationReadiness>;
  /**
   * Makes the session unusable now. Never waits on a lock another process holds; replaces the
   * session's pre-armed deny (arm) with an unconditional one.
   */
  revoke: (input: RevokeInput) => Promise<RevokeResult>;
  /**
   * Puts the session's deny in place ahead of time, active only from `activateAt` on
   * (aws:CurrentTime): a taskaccess that is killed before it can revoke still ends the session at
   * its deadline instead of at STS expiry.
   */
  arm: (input: ArmInput) => Promise<RevokeResult>;
  /** Deletes the role's revoke policies whose credentials have expired; returns their names. */
  deleteExpired: (roleArn: string) => Promise<string[]>;
}

export interface ConfirmInput {
  roleArn: string;
  /** The session's own credentials: only they can show that AWS now refuses the session. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  /** When the deny was written (clock ms): the time to confirmation is counted from here. */
  since: number;
  /** How long after `since` to keep asking. */
  withinMs: number;
}

/** seen: AWS refused the session with an explicit deny; expired: STS expiry came first. */
export type ConfirmOutcome =
  | { state: "seen"; afterMs: number }
  | { state: "expired" }
  | { state: "not-seen"; waitedMs: number; last: string };

// Checks with the session's own credentials that its revocation holds (IAM propagation).
export interface RevocationConfirmer {
  confirm: (input: ConfirmInput) => Promise<ConfirmOutcome>;
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  /** Set when the command could not be started at all (not found, not executable). */
  spawnError?: string | undefined;
}

export interface RunProcessInput {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  timeoutMs?: number | undefined;
  graceMs: number;
  onStart: (pid: number) => Promise<void> | void;
  /** The argv put before the command to isolate it (bubblewrap's), or none to run it as it is. */
  wrapper?: string[] | undefined;
  /** Told once, when the first SIGINT, SIGTERM or SIGHUP has been passed on to the command's tree. */
  onStopSignal?: ((signal: NodeJS.Signals) => void) | undefined;
}

// Runs the task's command as a supervised child.
export interface ProcessRunner {
  run: (input: RunProcessInput) => Promise<ProcessResult>;
}

export interface Clock {
  now: () => number;
}
