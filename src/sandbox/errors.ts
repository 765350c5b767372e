// An error the sandbox returns to a client, in the envelope of the service that was called.
export class SandboxError extends Error {
  readonly code: string;
  readonly status: number;
  /** "Sender" (the caller's fault) or "Receiver", as the Query protocol's <Type> says. */
  readonly type: "Sender" | "Receiver";

  constructor(code: string, status: number, message: string, type: "Sender" | "Receiver" = "Sender") {
    super(message);
    this.name = "SandboxError";
    this.code = code;
    this.status = status;
    this.type = status >= 500 ? "Receiver" : type;
  }
}

// AWS's validation error text: "1 validation error detected: Value 'x' at 'roleSessionName' failed to
// satisfy constraint: Member must ...".
export function validationError(
  problems: Array<{ value: unknown; field: string; constraint: string }>,
): SandboxError {
  const details = problems
    .map(
      (problem) =>
        `Value ${formatValue(problem.value)} at '${problem.field}' failed to satisfy constraint: Member must ${problem.constraint}`,
    )
    .join("; ");
  const count = problems.length;
  return new SandboxError(
    "ValidationError",
    400,
    `${count} validation error${count === 1 ? "" : "s"} detected: ${details}`,
  );
}

function formatValue(value: unknown): string {
  if (value === undefined) return "null";
  if (typeof value === "number") return `'${value}'`;
  return `'${String(value)}'`;
}
