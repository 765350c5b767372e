import type { ChalkInstance } from "chalk";
import type { RunProgress, RunStep } from "../session/progress.js";
import type { CliContext } from "./context.js";

/** The clock and the timer the display redraws by; tests pass fake ones. */
export interface ProgressTimers {
  now: () => number;
  /** Calls tick every `ms` milliseconds until the function it returns is called. */
  every: (ms: number, tick: () => void) => () => void;
}

/** A run's progress on stderr, and the one way to write to stderr while it is shown. */
export interface ProgressDisplay extends RunProgress {
  /** Writes text (a warning) without breaking the line being drawn: it is drawn again after it. */
  write: (text: string) => void;
  /** Ends the line being drawn, if any; called when the run is over, before the summary. */
  end: () => void;
}

export interface ProgressDisplayOptions {
  write: (text: string) => void;
  colors: ChalkInstance;
  timers: ProgressTimers;
  /** The terminal understands \r and erase-line: a waiting step's line counts its seconds. */
  rewrite: boolean;
}

/** Back to the start of the line, and erase it (ECMA-48 EL, "erase in line", 2: the whole line). */
export const ERASE_LINE = "\r\x1b[2K";

// Draws each step on its own line; a step that waits keeps its line open and, past a second,
// shows how long it has waited ("assuming role deployer… 3s"), redrawn every second.
export function createProgressDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const { colors, timers } = options;
  let open: { text: string; started: number; seconds: number; stop: () => void } | undefined;
  const render = (line: NonNullable<typeof open>) =>
    `${colors.dim("taskaccess:")} ${line.text}${line.seconds > 0 ? colors.dim(` ${line.seconds}s`) : ""}`;
  const close = () => {
    if (!open) return;
    open.stop();
    open = undefined;
    options.write("\n");
  };
  return {
    step: (step) => {
      close();
      const { text, waits } = describeStep(step, colors);
      if (!waits || !options.rewrite) {
        options.write(`${colors.dim("taskaccess:")} ${text}\n`);
        return;
      }
      const line = { text, started: timers.now(), seconds: 0, stop: () => {} };
      open = line;
      options.write(render(line));
      line.stop = timers.every(1000, () => {
        const seconds = Math.floor((timers.now() - line.started) / 1000);
        if (open !== line || seconds < 1 || seconds === line.seconds) return;
        line.seconds = seconds;
        options.write(`${ERASE_LINE}${render(line)}`);
      });
    },
    write: (text) => {
      options.write(open ? `${ERASE_LINE}${text}${render(open)}` : text);
    },
    end: close,
  };
}

// What `run` draws on stderr: steps on a terminal unless --quiet; otherwise nothing but what is
// written through it, so that stderr is exactly what it was without a display.
export function runProgressDisplay(ctx: CliContext, quiet: boolean): ProgressDisplay {
  const { io } = ctx;
  if (!io.stderrIsTTY || quiet) return { step: () => {}, write: io.stderr, end: () => {} };
  return createProgressDisplay({
    write: io.stderr,
    colors: ctx.err,
    timers: { now: Date.now, every: realEvery },
    rewrite: io.env.TERM !== "dumb",
  });
}

function realEvery(ms: number, tick: () => void): () => void {
  const timer = setInterval(tick, ms);
  // The display never keeps taskaccess alive.
  timer.unref();
  return () => clearInterval(timer);
}

// A step's words, and whether the run waits on it (a line left open, counting its seconds).
function describeStep(step: RunStep, colors: ChalkInstance): { text: string; waits: boolean } {
  switch (step.kind) {
    case "identify":
      return { text: "checking the base credentials…", waits: true };
    case "check-revocation":
      return { text: `checking that role ${roleName(step.role)} can be revoked…`, waits: true };
    case "assume-role":
      return { text: `assuming role ${roleName(step.role)}…`, waits: true };
    case "start-command":
      return {
        text: step.interactive
          ? `starting ${step.command} in session ${step.sessionName}: exit the shell to end the session and revoke its credentials`
          : `starting ${step.command}`,
        waits: false,
      };
    case "revoke":
      return {
        text: step.sessions === 1 ? "revoking the session…" : `revoking ${step.sessions} sessions…`,
        waits: true,
      };
    case "revoked":
      return {
        text:
          step.failed === 0
            ? colors.green("revoked")
            : colors.red(
                step.failed === step.sessions
                  ? "revocation failed"
                  : `${step.failed} of ${step.sessions} sessions not revoked`,
              ),
        waits: false,
      };
    case "confirm":
      return { text: "confirming AWS refuses the credentials…", waits: true };
    case "write-log":
      return { text: "writing the session log…", waits: true };
  }
}

// A role's name is what follows its ARN's last slash (arn:aws:iam::123456789012:role/ops/deployer).
function roleName(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}
