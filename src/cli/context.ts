import { isatty, type ReadStream } from "node:tty";
import type { ChalkInstance } from "chalk";
import type { SignalSource } from "../session/process-runner.js";
import type { RunSummary } from "./run-summary-json.js";

// What a command may touch of the outside world; tests pass their own to run the CLI in-process.
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /**
   * Whether someone can type into the commands run starts (a shell, when no command is given);
   * absent (tests' in-process runs) counts as not a terminal.
   */
  stdinIsTTY?: boolean | undefined;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Where run listens for SIGINT/SIGTERM/SIGHUP/SIGQUIT to forward them to the child. */
  signals?: SignalSource;
  /** Resolves with the signal name when the user interrupts (Ctrl-C) or the process is told to stop. */
  waitForInterrupt?: () => Promise<string>;
  /** Told how a `run` that issued a session ended; the GitHub Action makes its outputs from it. */
  onRunSummary?: (summary: RunSummary) => void;
  /**
   * Present when stdin and stderr are both a terminal: writes the prompt on stderr and reads one
   * line from the terminal without echoing it (run's MFA code). Absent in CI and pipes.
   */
  readSecret?: ((prompt: string) => Promise<string>) | undefined;
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
  // `taskaccess log | head` closes the pipe early: stop writing instead of crashing on EPIPE.
  let stdoutClosed = false;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    stdoutClosed = true;
  });
  return {
    stdout: (text) => {
      if (!stdoutClosed) process.stdout.write(text);
    },
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    // isatty(0), not process.stdin.isTTY: reading that getter opens a stream on the shell's stdin.
    stdinIsTTY: isatty(0),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    // isatty(0), not process.stdin: that would open stdin for every command.
    readSecret:
      isatty(0) && process.stderr.isTTY
        ? async (prompt) => {
            const { readHiddenLine } = await import("./hidden-input.js");
            return readHiddenLine(process.stdin as ReadStream, (text) => process.stderr.write(text), prompt);
          }
        : undefined,
    signals: {
      on: (signal, listener) => process.on(signal, listener),
      off: (signal, listener) => process.off(signal, listener),
    },
    waitForInterrupt: () =>
      new Promise((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve(signal);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      }),
  };
}
