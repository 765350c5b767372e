import type { ActionInputs } from "./inputs.js";

/**
 * How the command input runs: as GitHub runs a `run:` step's script on Linux and macOS
 * (`bash --noprofile --norc -eo pipefail {0}`), but from `-c`, so the session log records the script.
 */
export const COMMAND_SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"] as const;

// The argv that main() parses (node and script first, as process.argv): `taskaccess [--file F] run
// TASK [flags] -- bash … -c COMMAND`. Every value is joined to its flag with `=`, so a value that
// starts with "-" stays a value.
export function runArgv(inputs: ActionInputs): string[] {
  const flag = (name: string, value: string | undefined): string[] =>
    value === undefined ? [] : [`--${name}=${value}`];
  return [
    "node",
    "taskaccess",
    ...flag("file", inputs.file),
    "run",
    inputs.task,
    ...inputs.params.flatMap((param) => flag("param", param)),
    ...flag("reason", inputs.reason),
    ...flag("credentials", inputs.credentials),
    ...flag("isolation", inputs.isolation),
    ...flag("log", inputs.log),
    ...flag("region", inputs.region),
    ...flag("revoke-within", inputs.revokeWithin),
    ...flag("confirm-within", inputs.confirmWithin),
    "--",
    ...COMMAND_SHELL,
    inputs.command,
  ];
}
