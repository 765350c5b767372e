import { bwrapArgv } from "./bwrap.js";
import { listHiddenPaths } from "./hidden-paths.js";
import {
  type AppliedIsolation,
  decideIsolation,
  type IsolationMode,
  type IsolationSupport,
} from "./isolation.js";
import { findScript, isPlainPath, shellTerminalArgv } from "./shell-terminal.js";

export interface PrepareIsolationInput {
  requested: IsolationMode;
  /** Finds out whether this machine can isolate, and with which bubblewrap (isolation-probe.ts). */
  probe: () => IsolationSupport & { bwrap?: string | undefined };
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
  cwd: string;
  logPath?: string | undefined;
  uid: number;
  gid: number;
  /** The interactive shell, when the command is one (`run TASK` on a terminal, no command). */
  shell?: string | undefined;
  /** Finds script(1), which gives an isolated shell its own terminal (default: the system's). */
  findScript?: (() => string | undefined) | undefined;
}

export interface PreparedIsolation {
  applied: AppliedIsolation;
  /** bubblewrap's argv, put before the command. */
  wrapper?: string[] | undefined;
  warning?: string | undefined;
}

// Decides, before any AWS call, how the command will run: inside bubblewrap with the base identity's
// files and taskaccess's own hidden, or (auto without support, or none) as it is.
export function prepareIsolation(input: PrepareIsolationInput): PreparedIsolation {
  let bwrap: string | undefined;
  const decision = decideIsolation(input.requested, () => {
    const found = input.probe();
    bwrap = found.bwrap;
    return found;
  });
  if (decision.applied === "none" || !bwrap) return { applied: "none", warning: decision.warning };
  const hidden = listHiddenPaths({
    env: input.env,
    homedir: input.homedir,
    cwd: input.cwd,
    logPath: input.logPath,
  });
  const sandbox = { bwrap, hidden, uid: input.uid, gid: input.gid };
  // An interactive shell gets a terminal of its own (shell-terminal.ts), since the sandbox's new
  // session has none; without script(1) it runs without one, like any command.
  const script = input.shell && isPlainPath(input.shell) ? (input.findScript ?? findScript)() : undefined;
  if (script) {
    return {
      applied: "namespace",
      wrapper: [...bwrapArgv(sandbox), ...shellTerminalArgv(script)],
    };
  }
  return { applied: "namespace", wrapper: bwrapArgv(sandbox) };
}
