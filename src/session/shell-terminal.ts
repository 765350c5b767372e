import { accessSync, constants } from "node:fs";

/** Where util-linux script(1) is looked for: the system's own copies, never through PATH. */
export const SCRIPT_CANDIDATES = ["/usr/bin/script", "/bin/script"];

// An isolated interactive shell runs under script(1), which gives it a terminal of its own (a new
// pseudo-terminal) and relays it to the user's. Two reasons: in its own PID namespace a shell
// cannot hand the user's terminal back to a process group it cannot see when it exits (dash then
// fails with exit 2 whatever `exit N` said), and with a terminal of its own, bubblewrap can cut the
// sandbox off the user's (--new-session), so nothing in it can push input into the user's terminal
// (TIOCSTI) for the user's own shell to run after the session. The shell is the argument of -c.
export function shellTerminalArgv(script: string): string[] {
  return [script, "-q", "-e", "-O", "/dev/null", "-c"];
}

// script(1) runs its -c argument with $SHELL -c: only a path that no shell re-parses is given to it.
export function isPlainPath(path: string): boolean {
  return /^[\w./+-]+$/.test(path);
}

// The system's script(1), if any.
export function findScript(candidates: readonly string[] = SCRIPT_CANDIDATES): string | undefined {
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
