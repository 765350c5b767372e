// A place in a task file, 1-based like compilers print it.
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  /** Characters to underline on that line (at least 1). */
  length: number;
  /** The full text of that line, for the snippet under the message. */
  lineText: string;
}

// One problem in a task file, with where it is and what to do about it.
export interface Diagnostic {
  message: string;
  location?: SourceLocation | undefined;
  hint?: string | undefined;
}

// Renders "file:line:col" for messages and machine output.
export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}
