import { ExitCode, TaskAccessError } from "../errors.js";
import type { Diagnostic } from "./diagnostic.js";

// A task file or parameter problem (exit 65), carrying every diagnostic found, not just the first.
export class TaskFileError extends TaskAccessError {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[], hint?: string) {
    const first = diagnostics[0];
    const summary =
      diagnostics.length === 1 && first ? first.message : `${diagnostics.length} problems in the task file`;
    super(summary, { exitCode: ExitCode.taskFile, hint });
    this.name = "TaskFileError";
    this.diagnostics = diagnostics;
  }
}
