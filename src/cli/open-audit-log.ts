import { homedir, hostname } from "node:os";
import { dirname, join } from "node:path";
import { sha256Hex } from "../audit/chain.js";
import type { LogRecord, SessionEvent } from "../audit/events.js";
import { resolveLogPath, stateHomeOf } from "../audit/log-path.js";
import { dayOf } from "../audit/s3-keys.js";
import { isS3Location } from "../audit/s3-location.js";
import { SessionLog } from "../audit/session-log.js";
import type { RunAuditSink } from "../session/run-session.js";
import type { SessionSummary } from "../session/session-summary.js";
import type { TaskFile } from "../task/model.js";
import type { AwsFlags } from "./aws-options.js";

export interface OpenAuditLogInput {
  flag?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  taskFile?: TaskFile | undefined;
  cwd: string;
  /** For an S3 log: the base identity's AWS settings (run's and revoke's flags). */
  aws?: AwsFlags | undefined;
  /** For an S3 log: the day each known session started (YYYY/MM/DD), to add records to it. */
  dayOfSession?: ((session: string) => string | undefined) | undefined;
  /** `run --log-retention MODE:DAYS`, over TASKACCESS_LOG_RETENTION. */
  retention?: string | undefined;
  /** Told about records kept in the local spool because S3 would not take them. */
  warn?: ((message: string) => void) | undefined;
}

export interface OpenedAuditLog extends RunAuditSink {
  path: string;
  /** True for an S3 log: its runs renew a lease that other machines can see. */
  remote: boolean;
  /** SHA-256 of the last record this process wrote (the chain head after it), if any. */
  head: () => string | undefined;
}

// Tracks the hash of the last record appended: a record's line is exactly its JSON.
function withHead(
  path: string,
  remote: boolean,
  append: (event: SessionEvent) => Promise<LogRecord>,
  flush?: () => Promise<void>,
): OpenedAuditLog {
  let head: string | undefined;
  return {
    path,
    remote,
    head: () => head,
    ...(flush ? { flush } : {}),
    append: async (event) => {
      const record = await append(event as SessionEvent);
      head = sha256Hex(JSON.stringify(record));
      return record;
    },
  };
}

// Resolves where the log lives and opens it before anything else happens, so that a log that
// cannot be written stops the command before any AWS call.
export async function openAuditLog(input: OpenAuditLogInput): Promise<OpenedAuditLog> {
  const path = resolveLogPath({
    flag: input.flag,
    env: input.env,
    taskFileLog: input.taskFile?.log,
    taskFileDir: input.taskFile?.directory,
    homedir: homedir(),
    cwd: input.cwd,
  });
  if (isS3Location(path)) return openS3AuditLog(path, input);
  const log = await SessionLog.open(path, { host: hostname(), clock: { now: Date.now } });
  // run-session builds its events from the plan; the log checks their shape and chains them.
  return withHead(log.path, false, (event) => log.append(event));
}

// Sends what an earlier command on this machine kept in the spool for an S3 log, before a command
// reads the log to act on it: `revoke --pending` would otherwise see a revoked session as open,
// and a CI job's last step, often the only one left, would leave the records to die with the runner.
export async function sendSpooled(
  path: string,
  input: Pick<OpenAuditLogInput, "env" | "aws" | "warn">,
): Promise<void> {
  if (!isS3Location(path)) return;
  await openS3AuditLog(path, input);
}

// The S3 log: records spooled by an earlier command are sent first; then each append is its own
// object, written by the base identity.
async function openS3AuditLog(
  path: string,
  input: Pick<OpenAuditLogInput, "env" | "aws" | "warn" | "taskFile" | "retention" | "dayOfSession">,
): Promise<OpenedAuditLog> {
  const { parseS3Location } = await import("../audit/s3-location.js");
  const { S3SessionLog } = await import("../audit/s3-session-log.js");
  const { createSpool } = await import("../audit/spool.js");
  const { parseLogRetention } = await import("./log-retention.js");
  const { logStoreOpener } = await import("./log-store.js");
  const location = parseS3Location(path);
  const store = logStoreOpener(input.env, input.aws, input.taskFile?.region, input.warn)(location.bucket);
  const spool = createSpool(join(stateHomeOf(input.env, homedir()), "taskaccess", "spool"));
  const log = new S3SessionLog({
    store,
    location,
    clock: { now: Date.now },
    retention: parseLogRetention(input.retention ?? input.env.TASKACCESS_LOG_RETENTION),
    dayOfSession: input.dayOfSession,
    spool,
    warn: input.warn,
  });
  const flushed = await spool.flush(location.bucket, store, log.retention());
  if (flushed.sent > 0)
    input.warn?.(`sent ${flushed.sent} record(s) an earlier command had kept in ${spool.directory}`);
  return withHead(
    log.path,
    true,
    (event) => log.append(event),
    () => log.flush(),
  );
}

// For adding records to sessions of an S3 log: the day each started, as its folder has it.
export function sessionDays(sessions: readonly SessionSummary[]): (session: string) => string | undefined {
  const days = new Map(sessions.map((s) => [s.session, dayOf(s.startedAt)]));
  return (session) => days.get(session);
}

// Where a log's role locks live: beside a local log; in the state directory for an S3 log.
export function lockDirectoryFor(path: string, env: Readonly<Record<string, string | undefined>>): string {
  return isS3Location(path) ? join(stateHomeOf(env, homedir()), "taskaccess") : dirname(path);
}
