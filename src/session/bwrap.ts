import type { HiddenPaths } from "./hidden-paths.js";

/** Where bubblewrap is looked for: the system's own copies first, so a file planted in PATH is not taken. */
export const BWRAP_CANDIDATES = ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"];

/** The file descriptor bwrap writes its JSON status to (the command's pid, then its exit code). */
export const BWRAP_STATUS_FD = 3;

/** The namespaces and limits of every isolated run, and of the probe that tells whether they work. */
export const BWRAP_NAMESPACES: readonly string[] = [
  "--unshare-user",
  "--unshare-pid",
  "--die-with-parent",
  "--cap-drop",
  "ALL",
  "--dev-bind",
  "/",
  "/",
  "--proc",
  "/proc",
];

export interface BwrapInput {
  bwrap: string;
  hidden: HiddenPaths;
  uid: number;
  gid: number;
  /** A new session, without the user's terminal as its controlling terminal (so no TIOCSTI). */
  newSession?: boolean | undefined;
}

// bubblewrap's arguments before `--` and the command: a user namespace (the same uid and gid inside,
// so files the command makes belong to the user outside), a PID namespace with a fresh /proc (the
// command sees and can signal only its own processes; when it exits, the namespace and everything
// it started die with it), no capabilities (so it cannot unmount what hides the secrets), death
// with taskaccess, and the whole file system as it is but for the hidden paths. A new session only
// when asked (an interactive shell in a terminal of its own, shell-terminal.ts): any other command
// keeps the user's terminal, /dev/tty prompts included.
export function bwrapArgv(input: BwrapInput): string[] {
  return [
    input.bwrap,
    ...BWRAP_NAMESPACES,
    ...(input.newSession ? ["--new-session"] : []),
    ...input.hidden.directories.flatMap((path) => ["--tmpfs", path]),
    ...input.hidden.files.flatMap((path) => ["--ro-bind", "/dev/null", path]),
    "--uid",
    String(input.uid),
    "--gid",
    String(input.gid),
    "--json-status-fd",
    String(BWRAP_STATUS_FD),
    "--",
  ];
}
