import type { ChalkInstance } from "chalk";

// What a command may touch of the outside world; tests pass their own to run the CLI in-process.
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
}

// Shared by every command: the I/O, the colours, and where a command leaves its exit code.
export interface CliContext {
  io: CliIo;
  out: ChalkInstance;
  err: ChalkInstance;
  exitCode: number;
  verbose: boolean;
}

// The real process's streams and environment, read once at start-up rather than at import time.
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
  };
}
