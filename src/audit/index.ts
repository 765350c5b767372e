// The session log: types, where it lives, how it is written, read and verified.
export { chainEvent, GENESIS_PREV, sha256Hex } from "./chain.js";
export type {
  ChainFields,
  CiContext,
  CredentialsIssuedEvent,
  EventCommon,
  LogRecord,
  ProcessExitEvent,
  ProcessStartEvent,
  RevocationFailedEvent,
  SessionEndEvent,
  SessionEvent,
  SessionEventType,
  SessionRevokedEvent,
  SessionStartEvent,
} from "./events.js";
export { assertNoSecrets, isSessionEventType, LOG_FORMAT_VERSION, SESSION_EVENT_TYPES } from "./events.js";
export type { FileLockOptions, LockHolder } from "./file-lock.js";
export { isProcessAlive, lockPathFor, withFileLock } from "./file-lock.js";
export type { LogPathInput } from "./log-path.js";
export { resolveLogPath } from "./log-path.js";
export type { LogLine, ParsedLine } from "./read-log.js";
export { parseLogLine, readSessionLog } from "./read-log.js";
export type { AuditSink, SessionLogOptions } from "./session-log.js";
export { SessionLog } from "./session-log.js";
export type { SessionLogErrorOptions } from "./session-log-error.js";
export { BUG_HINT, SESSION_LOG_HINT, SessionLogError } from "./session-log-error.js";
export type { SyntheticLogOptions, VerifyThroughput } from "./synthetic-log.js";
export { measureVerifyThroughput, writeSyntheticLog } from "./synthetic-log.js";
export type { VerifyProblem, VerifyProblemKind, VerifyResult } from "./verify-log.js";
export { verifySessionLog } from "./verify-log.js";
