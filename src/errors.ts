// Exit codes are part of the public interface (README "Exit codes"); values follow BSD sysexits.h.
export const ExitCode = {
  ok: 0,
  findings: 1,
  usage: 64,
  taskFile: 65,
  unavailable: 69,
  internal: 70,
  /** `run --isolation namespace` on a machine that cannot isolate the command (EX_OSERR). */
  isolation: 71,
  accessDenied: 77,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface TaskAccessErrorOptions {
  /** One of ExitCode, or 128+N for a run stopped by signal N. */
  exitCode: number;
  hint?: string | undefined;
  cause?: unknown;
}

// Every expected failure is one of these, so main.ts alone decides the exit code and the output.
export class TaskAccessError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(message: string, options: TaskAccessErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TaskAccessError";
    this.exitCode = options.exitCode;
    this.hint = options.hint;
  }
}

// A usage error (bad flag or argument): exit 64.
export class UsageError extends TaskAccessError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.usage, hint });
    this.name = "UsageError";
  }
}
