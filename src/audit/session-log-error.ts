import { ExitCode, TaskAccessError } from "../errors.js";

/** What to do when the log itself is the problem: the default hint of a SessionLogError. */
export const SESSION_LOG_HINT =
  "check that ~/.local/state/taskaccess is writable, or set --log / TASKACCESS_LOG";

/** The hint for a failure that only a bug in taskaccess can cause. */
export const BUG_HINT = "this is a bug in taskaccess; please report it with the command you ran";

export interface SessionLogErrorOptions {
  /** The log (or lock) file concerned, when there is one. */
  path?: string | undefined;
  hint?: string | undefined;
  cause?: unknown;
  /** A log the user pointed at a place it cannot be kept is a usage error (64), not 70. */
  exitCode?: typeof ExitCode.usage | undefined;
}

// No session may run unaudited, so every failure to read or write the log is this one error,
// with a hint saying what to do; exit 70 because a run that cannot be recorded must not start.
export class SessionLogError extends TaskAccessError {
  readonly path: string | undefined;

  constructor(message: string, options: SessionLogErrorOptions = {}) {
    super(message, {
      exitCode: options.exitCode ?? ExitCode.internal,
      hint: options.hint ?? SESSION_LOG_HINT,
      cause: options.cause,
    });
    this.name = "SessionLogError";
    this.path = options.path;
  }
}
