import { TaskAccessError } from "../errors.js";

// A revocation that failed after retries; carries how many attempts were made, for the log.
export class RevocationError extends TaskAccessError {
  readonly attempts: number;

  constructor(error: TaskAccessError, attempts: number) {
    super(error.message, { exitCode: error.exitCode, hint: error.hint, cause: error.cause });
    this.name = "RevocationError";
    this.attempts = attempts;
  }
}

// How many attempts a failed revocation made (0 when it never got to IAM).
export function attemptsOf(error: unknown): number {
  return error instanceof RevocationError ? error.attempts : 0;
}
