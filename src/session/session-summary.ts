/** One STS session of a run: the first, or a refresh of `--credentials server`. */
export interface StsSessionSummary {
  sessionName: string;
  assumedRoleId: string | null;
  expiresAt: string | null;
  revoked: boolean;
  revocationFailed: boolean;
}

// One session folded from its log events: what `taskaccess log` lists and `revoke --pending` reads.
export interface SessionSummary {
  session: string;
  task: string;
  caller: string | null;
  host: string | null;
  /** taskaccess's own pid, to tell a live run from one that died. */
  pid: number | null;
  role: string | null;
  sessionName: string | null;
  assumedRoleId: string | null;
  startedAt: string;
  /** When the credentials expire: from credentials.issued, else start + duration (upper bound). */
  expiresAt: string | null;
  credentialsIssued: boolean;
  exitCode: number | null;
  durationMs: number | null;
  ended: boolean;
  revoked: boolean;
  revocationFailed: boolean;
  sourceIdentity: string | null;
  /** `run --credentials` as session.start recorded it; null in logs before it existed. */
  credentialDelivery?: string | null | undefined;
  /**
   * S3 logs: until when the run's lease holds (its start or last session.lease plus the lease);
   * null for local logs, where the pid on the host says whether the run is alive.
   */
  leaseUntil?: string | null | undefined;
  /** The task's `revoker` role as session.start recorded it; null when none or in older logs. */
  revoker?: string | null | undefined;
  /** The ExternalId session.start recorded; null when none or in older logs. */
  externalId?: string | null | undefined;
  /**
   * Every STS session credentials.issued named, in order (more than one when the credential server
   * refreshed). `revoked` on the summary means all of them are; `expiresAt` is the latest expiry.
   */
  stsSessions?: StsSessionSummary[] | undefined;
}

interface EventLike {
  event: string;
  session: string;
  task: string;
  time: string;
  [key: string]: unknown;
}

// Folds events, in log order, into one summary per session.
export function summarizeSessions(events: Iterable<EventLike>): Map<string, SessionSummary> {
  const sessions = new Map<string, SessionSummary>();
  for (const event of events) {
    let summary = sessions.get(event.session);
    if (!summary) {
      summary = {
        session: event.session,
        task: event.task,
        caller: typeof event.caller === "string" ? event.caller : null,
        host: typeof event.host === "string" ? event.host : null,
        pid: null,
        role: null,
        sessionName: null,
        assumedRoleId: null,
        startedAt: event.time,
        expiresAt: null,
        credentialsIssued: false,
        exitCode: null,
        durationMs: null,
        ended: false,
        revoked: false,
        revocationFailed: false,
        sourceIdentity: null,
        credentialDelivery: null,
        stsSessions: [],
      };
      sessions.set(event.session, summary);
    }
    // session.start is written before STS names the caller; later events carry it.
    if (summary.caller === null && typeof event.caller === "string") summary.caller = event.caller;
    switch (event.event) {
      case "session.start":
        summary.startedAt = event.time;
        summary.role = str(event.role);
        summary.sessionName = str(event.sessionName);
        summary.sourceIdentity = str(event.sourceIdentity);
        summary.pid = typeof event.pid === "number" ? event.pid : null;
        summary.credentialDelivery = str(event.credentialDelivery);
        summary.revoker = str(event.revoker);
        summary.externalId = str(event.externalId);
        if (typeof event.leaseSeconds === "number") {
          summary.leaseUntil = new Date(Date.parse(event.time) + event.leaseSeconds * 1000).toISOString();
        }
        if (typeof event.durationSeconds === "number") {
          summary.expiresAt = new Date(
            Date.parse(event.time) + event.durationSeconds * 1000 + 60_000,
          ).toISOString();
        }
        break;
      case "session.lease":
        if (typeof event.until === "string" && event.until > (summary.leaseUntil ?? "")) {
          summary.leaseUntil = event.until;
        }
        break;
      case "credentials.issued": {
        const expiresAt = str(event.expiration);
        summary.credentialsIssued = true;
        // The summary names the first STS session (as session.start does); refreshes are listed.
        summary.assumedRoleId ??= str(event.assumedRoleId);
        if (
          expiresAt !== null &&
          (summary.stsSessions?.length === 0 || expiresAt > (summary.expiresAt ?? ""))
        ) {
          summary.expiresAt = expiresAt;
        }
        summary.stsSessions?.push({
          sessionName: str(event.sessionName) ?? summary.sessionName ?? "",
          assumedRoleId: str(event.assumedRoleId),
          expiresAt,
          revoked: false,
          revocationFailed: false,
        });
        summary.revoked = false;
        break;
      }
      case "session.revoked":
        for (const sts of stsSessionsNamed(summary, event.sessionName)) {
          sts.revoked = true;
          sts.revocationFailed = false;
        }
        summary.revoked = allRevoked(summary);
        summary.revocationFailed = !summary.revoked && anyFailed(summary);
        break;
      case "revocation.failed":
        for (const sts of stsSessionsNamed(summary, event.sessionName)) {
          if (!sts.revoked) sts.revocationFailed = true;
        }
        if (!summary.revoked || !allRevoked(summary)) {
          summary.revoked = false;
          summary.revocationFailed = true;
        }
        break;
      case "session.end":
        summary.ended = true;
        summary.exitCode = typeof event.exitCode === "number" ? event.exitCode : null;
        summary.durationMs = typeof event.durationMs === "number" ? event.durationMs : null;
        if (event.revoked === true) {
          for (const sts of summary.stsSessions ?? []) sts.revoked = true;
          summary.revoked = true;
        }
        break;
    }
  }
  return sessions;
}

export interface PendingOptions {
  now: number;
  host: string;
  /** True when a process with that pid runs on this host (a live run must not be revoked under it). */
  isAlive: (pid: number) => boolean;
}

// The sessions `revoke --pending` must revoke: not revoked, credentials possibly still valid, and
// either their revocation failed or they never ended and their taskaccess is gone.
export function findPendingSessions(
  sessions: Iterable<SessionSummary>,
  options: PendingOptions,
): SessionSummary[] {
  const pending: SessionSummary[] = [];
  for (const summary of sessions) {
    if (summary.revoked || !summary.role || !summary.sessionName) continue;
    if (summary.expiresAt !== null && Date.parse(summary.expiresAt) <= options.now) continue;
    if (summary.revocationFailed) {
      pending.push(summary);
      continue;
    }
    if (summary.ended) continue;
    // Never ended: revoke only when its taskaccess is known to be gone. On an S3 log, from any
    // machine, once its lease has lapsed.
    if (summary.leaseUntil) {
      if (Date.parse(summary.leaseUntil) < options.now) pending.push(summary);
      continue;
    }
    const local = summary.host === options.host;
    if (local && summary.pid !== null && options.isAlive(summary.pid)) continue;
    if (!local) continue;
    pending.push(summary);
  }
  return pending;
}

// The STS sessions a session.revoked or revocation.failed line is about: the one it names, or,
// in logs written before lines named it (one STS session per run), all of them.
function stsSessionsNamed(summary: SessionSummary, name: unknown): StsSessionSummary[] {
  const all = summary.stsSessions ?? [];
  if (typeof name !== "string") return all;
  return all.filter((sts) => sts.sessionName === name);
}

// True when every issued STS session is revoked; a run that issued none (or a summary built
// without the list) counts as revoked once a revocation was recorded.
function allRevoked(summary: SessionSummary): boolean {
  return (summary.stsSessions ?? []).every((sts) => sts.revoked);
}

function anyFailed(summary: SessionSummary): boolean {
  return (summary.stsSessions ?? []).some((sts) => sts.revocationFailed);
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}
