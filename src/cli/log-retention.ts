import { UsageError } from "../errors.js";

// TASKACCESS_LOG_RETENTION=MODE:DAYS (COMPLIANCE:400, GOVERNANCE:30): the Object Lock retention of
// every record an S3 log gets; unset, the bucket's default retention applies (if it has one).
export function parseLogRetention(
  value: string | undefined,
): { mode: "GOVERNANCE" | "COMPLIANCE"; days: number } | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const match = /^(GOVERNANCE|COMPLIANCE):(\d{1,5})$/.exec(value.trim());
  const days = Number(match?.[2]);
  if (!match || days < 1) {
    throw new UsageError(
      `the log retention ${JSON.stringify(value)} (--log-retention, TASKACCESS_LOG_RETENTION) is not MODE:DAYS`,
      "for example COMPLIANCE:400 or GOVERNANCE:30 (Object Lock retention of each S3 log record)",
    );
  }
  return { mode: match[1] as "GOVERNANCE" | "COMPLIANCE", days };
}
