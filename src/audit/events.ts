import { BUG_HINT, SessionLogError } from "./session-log-error.js";

// The session log's vocabulary: one JSON object per line, the same common fields on every line.
// Types are aliases (not interfaces) so that an event is also a plain Record<string, unknown>.

/** The format version written in every line's `v`. */
export const LOG_FORMAT_VERSION = 1;

/** Every event a v1 log may contain, in the order a session writes them. */
export const SESSION_EVENT_TYPES = [
  "session.start",
  "revocation.ready",
  "credentials.issued",
  "revocation.armed",
  "process.start",
  "session.lease",
  "process.exit",
  "session.revoked",
  "revocation.failed",
  "session.end",
] as const;

export type SessionEventType = (typeof SESSION_EVENT_TYPES)[number];

/** The CI run a session belongs to, so a reviewer can follow the link back to it. */
export type CiContext = {
  provider: string;
  runUrl?: string | undefined;
  repository?: string | undefined;
  ref?: string | undefined;
  actor?: string | undefined;
};

/** Fields on every line besides v, seq and prev. */
export type EventCommon = {
  /** ISO 8601 UTC with milliseconds. */
  time: string;
  /** The session id. */
  session: string;
  task: string;
  /** The base identity's ARN, or null when it is not known yet. */
  caller: string | null;
  host: string;
  ci?: CiContext | undefined;
};

export type SessionStartEvent = EventCommon & {
  event: "session.start";
  role: string;
  sessionName: string;
  params: Record<string, string>;
  reason: string | null;
  /** The DurationSeconds asked of STS: the task's `duration`, or the shorter `run --duration`. */
  durationSeconds: number;
  timeoutSeconds: number | null;
  sourceIdentity: string | null;
  policySha256: string;
  argv: string[];
  /** Set when no command was given and argv is the user's $SHELL, started for a person at a terminal. */
  interactive?: true | undefined;
  /** taskaccess's own pid, so that a later run can tell a live session from an abandoned one. */
  pid?: number | undefined;
  /** How the command gets its credentials (`run --credentials`); absent in logs before it existed. */
  credentialDelivery?: "env" | "server" | "file" | undefined;
  /** How the command was isolated (`run --isolation`); absent in logs before it existed. */
  isolation?: "namespace" | "none" | undefined;
  /**
   * Runs on an S3 log only: how long each lease lasts. Another machine takes a session whose lease
   * has lapsed (this long after its start or its last session.lease) as abandoned.
   */
  leaseSeconds?: number | undefined;
  /** Lint findings the task file acknowledged (`acknowledge`), rule to reason; absent when none was. */
  acknowledged?: Record<string, string> | undefined;
  /** The task's `revoker` role, or null; absent in logs before it existed. */
  revoker?: string | null | undefined;
  /** The STS ExternalId sent (the task's `externalId`, parameters filled in), or null; absent in older logs. */
  externalId?: string | null | undefined;
  /** The MFA device the role was assumed with (its serial; the code is never logged), or null; absent in older logs. */
  mfaSerial?: string | null | undefined;
};

/** Written after the check that the role's sessions can be revoked, before AssumeRole. */
export type RevocationReadyEvent = EventCommon & {
  event: "revocation.ready";
  role: string;
  /** Who writes the denies: the base identity, a session of the task role, or the task's revoker role. */
  via: "caller" | "role-session" | "revoker-role";
  /** The role assumed to write them; null when the base identity writes them. */
  revokerRole: string | null;
  /** The role's permissions boundary ARN; null when it has none; "unknown" when IAM would not say. */
  boundary: string | null;
};

export type CredentialsIssuedEvent = EventCommon & {
  event: "credentials.issued";
  role: string;
  sessionName: string;
  assumedRoleId: string;
  assumedRoleArn: string;
  accessKeyId: string;
  /** ISO 8601: the credentials are valid until then unless revoked. */
  expiration: string;
  sourceIdentity: string | null;
  tags: Record<string, string>;
  /** The exact session policy JSON sent to STS. */
  policy: string;
  policySha256: string;
  policyArns: string[];
  packedPolicySize: number | null;
  /**
   * Set on the credentials the `server` delivery issued to replace expiring ones: 1 for the first
   * refresh, and so on. Each is its own STS session (sessionName ta-<task>-<id>-r<N>).
   */
  refresh?: number | undefined;
};

export type RevocationArmedEvent = EventCommon & {
  event: "revocation.armed";
  role: string;
  sessionName: string;
  policyName: string;
  /** ISO 8601: from then on the deny holds by itself, even if taskaccess is gone. */
  activeFrom: string;
};

export type ProcessStartEvent = EventCommon & {
  event: "process.start";
  argv: string[];
  cwd: string;
  pid: number;
};

/** S3 logs: written every minute or so while the command runs; the run is alive until `until`. */
export type SessionLeaseEvent = EventCommon & {
  event: "session.lease";
  /** ISO 8601. */
  until: string;
};

export type ProcessExitEvent = EventCommon & {
  event: "process.exit";
  code: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
  /** Why the command could not be started at all, when it could not. */
  error?: string | undefined;
};

export type SessionRevokedEvent = EventCommon & {
  event: "session.revoked";
  role: string;
  /** The STS session revoked (a run with refreshes has several); absent in older logs: the first. */
  sessionName?: string | undefined;
  policyName: string;
  method: "inline-deny" | "fallback";
  attempts: number;
  note: string | null;
  /** Who revoked it when it was not the run itself (`taskaccess revoke`): that identity's ARN. */
  revokedBy?: string | undefined;
  /**
   * What the session's own credentials showed once the deny was written: seen (AWS refused them
   * with an explicit deny), not-seen (not within confirmWithinMs: IAM propagation), expired, or
   * skipped (`--no-confirm`, a run told to stop, no credentials held). Absent in older logs and
   * from `taskaccess revoke`, which holds no credentials to check with.
   */
  confirmation?: "seen" | "not-seen" | "expired" | "skipped" | undefined;
  /** Milliseconds from the deny being written to AWS first refusing the session; null unless seen. */
  confirmedAfterMs?: number | null | undefined;
  /** not-seen only: the wait, and AWS's last answer. */
  confirmWithinMs?: number | undefined;
  lastAnswer?: string | undefined;
};

export type RevocationFailedEvent = EventCommon & {
  event: "revocation.failed";
  role: string;
  /** As in session.revoked. */
  sessionName?: string | undefined;
  error: string;
  attempts: number;
  /** ISO 8601: the credentials stay valid until then. */
  expiration: string;
  /** As in session.revoked. */
  revokedBy?: string | undefined;
};

export type SessionEndEvent = EventCommon & {
  event: "session.end";
  /** taskaccess's own exit code. */
  exitCode: number;
  durationMs: number;
  revoked: boolean;
  /** Why the run failed when taskaccess itself failed (AssumeRole refused, interrupted, …). */
  error?: string | undefined;
};

export type SessionEvent =
  | SessionStartEvent
  | RevocationReadyEvent
  | CredentialsIssuedEvent
  | RevocationArmedEvent
  | ProcessStartEvent
  | SessionLeaseEvent
  | ProcessExitEvent
  | SessionRevokedEvent
  | RevocationFailedEvent
  | SessionEndEvent;

/** The chain fields every line starts with. */
export type ChainFields = {
  v: typeof LOG_FORMAT_VERSION;
  /** 1-based line number in the file. */
  seq: number;
  /** Hex SHA-256 of the previous line's bytes without its newline; 64 zeros on line 1. */
  prev: string;
};

export type LogRecord = ChainFields & SessionEvent;

const EVENT_TYPE_SET: ReadonlySet<unknown> = new Set(SESSION_EVENT_TYPES);

// Lets a reader of untrusted input narrow a string to an event type.
export function isSessionEventType(value: unknown): value is SessionEventType {
  return EVENT_TYPE_SET.has(value);
}

/** Field names that would hold a credential secret, compared lower-case without _ - or spaces. */
const SECRET_KEY_PARTS = ["secretaccesskey", "sessiontoken", "securitytoken", "secretkey"];

// Defence in depth: no event may ever carry a secret access key or session token, whatever a
// caller builds, because the log is read by people who must not be able to use the session.
export function assertNoSecrets(value: unknown): void {
  const seen = new Set<object>();
  const visit = (node: unknown, path: string): void => {
    if (typeof node !== "object" || node === null || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      node.forEach((item, index) => {
        visit(item, `${path}[${index}]`);
      });
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      const childPath = path === "" ? key : `${path}.${key}`;
      const folded = key.toLowerCase().replace(/[\s_-]/g, "");
      // The keys of params and tags are names the task file chose (a parameter may well be called
      // secret_key); their values are public by design: they are in the session policy and on STS.
      const userNamed = path === "params" || path === "tags";
      if (!userNamed && SECRET_KEY_PARTS.some((part) => folded.includes(part))) {
        throw new SessionLogError(`refusing to write a secret to the session log: field ${childPath}`, {
          hint: BUG_HINT,
        });
      }
      visit(child, childPath);
    }
  };
  visit(value, "");
}
