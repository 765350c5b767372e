import type { LogRecord } from "../audit/events.js";

const SHOWN_FIELDS: Record<string, string[]> = {
  "session.start": [
    "caller",
    "role",
    "sessionName",
    "sourceIdentity",
    "params",
    "reason",
    "durationSeconds",
    "argv",
    "interactive",
    "pid",
    "isolation",
    "revoker",
    "externalId",
    "mfaSerial",
    "leaseSeconds",
    "acknowledged",
  ],
  "credentials.issued": [
    "assumedRoleId",
    "accessKeyId",
    "expiration",
    "tags",
    "policyArns",
    "packedPolicySize",
  ],
  "process.start": ["argv", "cwd", "pid"],
  "process.exit": ["code", "signal", "durationMs", "timedOut", "error"],
  "revocation.ready": ["via", "revokerRole", "boundary"],
  "session.lease": ["until"],
  "revocation.armed": ["policyName", "activeFrom"],
  "session.revoked": [
    "policyName",
    "method",
    "attempts",
    "note",
    "revokedBy",
    "confirmation",
    "confirmedAfterMs",
    "confirmWithinMs",
    "lastAnswer",
  ],
  "revocation.failed": ["error", "attempts", "expiration", "revokedBy"],
  "session.end": ["exitCode", "durationMs", "revoked", "error"],
};

// The fields of an event a person wants on one line (`log show`, `demo`); --json has them all.
export function describeEvent(record: LogRecord): string {
  const fields = SHOWN_FIELDS[record.event] ?? [];
  const values = record as unknown as Record<string, unknown>;
  return fields
    .filter((field) => values[field] !== undefined && values[field] !== null)
    .map(
      (field) =>
        `${field}=${typeof values[field] === "string" ? values[field] : JSON.stringify(values[field])}`,
    )
    .join(" ");
}
