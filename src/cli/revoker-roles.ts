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
