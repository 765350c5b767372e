import { UsageError } from "../errors.js";
import { runsInCi } from "./ci.js";

/** The shell started when $SHELL is unset or empty. */
export const FALLBACK_SHELL = "/bin/sh";

export interface CommandChoice {
  command: string;
  args: string[];
  /** True when no command was given and the user's shell runs in the session instead. */
  interactive: boolean;
}

export interface CommandRequest {
  /** The words after `--`. */
  command: string[];
  /** `--print-env` runs nothing: the command may be left out (it is then ""). */
  commandOptional: boolean;
  /** Whether stdin and stderr are both a terminal: someone is there to type into a shell. */
  terminal: boolean;
  env: Readonly<Record<string, string | undefined>>;
}

// `run TASK` with no command starts the user's $SHELL in the session (as `aws-vault exec` does),
// but only for a person at a terminal: in CI or a pipe, a forgotten command must not become a
// shell that waits on stdin while the session's credentials stay valid.
export function chooseCommand(request: CommandRequest): CommandChoice {
  const [command = "", ...args] = request.command;
  if (command || request.commandOptional) return { command, args, interactive: false };
  const hint = "write the command after --: taskaccess run TASK -- ./deploy.sh";
  if (runsInCi(request.env)) {
    throw new UsageError("no command to run, and no interactive shell in CI", hint);
  }
  if (!request.terminal) {
    throw new UsageError(
      "no command to run",
      `${hint} (without one, run starts $SHELL only when stdin and stderr are a terminal)`,
    );
  }
  return { command: request.env.SHELL || FALLBACK_SHELL, args: [], interactive: true };
}
