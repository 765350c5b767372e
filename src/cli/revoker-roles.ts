import type { SessionSummary } from "../session/session-summary.js";

// The revoker role the log says each task role's runs named (the latest run's wins), so that
// `revoke` and `gc` revoke and tidy by the same path as the run did.
export function revokerRolesOf(sessions: readonly SessionSummary[]): (roleArn: string) => string | undefined {
  const byRole = new Map<string, string>();
  for (const session of sessions) {
    if (session.role && session.revoker) byRole.set(session.role, session.revoker);
  }
  return (roleArn) => byRole.get(roleArn);
}

// The ExternalId the log says each task role's runs sent (the latest run's wins): a session of the
// task role that revokes (a role in another account) is assumed with it, as the run's was.
export function externalIdsOf(sessions: readonly SessionSummary[]): (roleArn: string) => string | undefined {
  const byRole = new Map<string, string>();
  for (const session of sessions) {
    if (session.role && session.externalId) byRole.set(session.role, session.externalId);
  }
  return (roleArn) => byRole.get(roleArn);
}
