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
}

// bubblewrap's arguments before `--` and the command: a user namespace (the same uid and gid inside,
// so files the command makes belong to the user outside), a PID namespace with a fresh /proc (the
// command sees and can signal only its own processes; when it exits, the namespace and everything
// it started die with it), no capabilities (so it cannot unmount what hides the secrets), death
// with taskaccess, and the whole file system as it is but for the hidden paths. And a new session
// (setsid): the user's terminal is then no process's controlling terminal in the sandbox, so the
// kernel refuses TIOCSTI on it, and nothing the command does can type into the user's shell for it
// to run after the session, with the base identity. The price: no /dev/tty inside (an interactive
// shell gets a terminal of its own, shell-terminal.ts).
export function bwrapArgv(input: BwrapInput): string[] {
  return [
    input.bwrap,
    ...BWRAP_NAMESPACES,
    "--new-session",
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
