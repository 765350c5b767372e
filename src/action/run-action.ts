import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { CliIo } from "../cli/context.js";
import { formatAnnotation, inGithubActions } from "../cli/github-annotations.js";
import type { RunSummary } from "../cli/run-summary-json.js";
import { ExitCode, TaskAccessError, UsageError } from "../errors.js";
import { readActionInputs, withoutInputs } from "./inputs.js";
import { actionOutputs, writeOutputs } from "./outputs.js";
import { runArgv } from "./run-argv.js";

/** What runAction touches of the process, passed in so that the shim alone has side effects. */
export interface ActionDeps {
  /** The step's environment as this process inherited it; the inputs are its INPUT_* variables. */
  env: Readonly<Record<string, string | undefined>>;
  /** The process's streams (processIo()); main() gets them with the run's environment and directory. */
  io: CliIo;
  /** The CLI's main(): the run is bin/taskaccess's own code, in this process. */
  main: (argv: readonly string[], io: CliIo) => Promise<number>;
  /** Enters the working-directory input, as GitHub enters a step's working-directory. */
  chdir: (directory: string) => void;
  /** A fresh $GITHUB_OUTPUT delimiter; random by default, so no value can end its output early. */
  delimiter?: () => string;
}

// The Action's entry point (bin/taskaccess-action): the inputs to `taskaccess run`, run by main(),
// the outcome to $GITHUB_OUTPUT; resolves to the exit code, the run's own.
export async function runAction(deps: ActionDeps): Promise<number> {
  const { env, io } = deps;
  const read = readActionInputs(env);
  if (!read.ok) {
    report(deps, read.problems);
    return finish(deps, ExitCode.usage, undefined);
  }
  let cwd: string;
  try {
    cwd = enterWorkingDirectory(deps, read.inputs.workingDirectory);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    report(deps, [error]);
    return finish(deps, ExitCode.usage, undefined);
  }
  let summary: RunSummary | undefined;
  const exitCode = await deps.main(runArgv(read.inputs), {
    ...io,
    env: withoutInputs(env),
    cwd,
    onRunSummary: (ended) => {
      summary = ended;
    },
  });
  return finish(deps, exitCode, summary);
}

// The working-directory input, relative to the step's own (the workspace), entered; or the step's.
function enterWorkingDirectory(deps: ActionDeps, input: string | undefined): string {
  if (input === undefined) return deps.io.cwd;
  const directory = resolve(deps.io.cwd, input);
  let isDirectory = false;
  try {
    isDirectory = statSync(directory).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) {
    throw new UsageError(
      `input "working-directory": ${JSON.stringify(input)} is not a directory`,
      `it is taken relative to ${deps.io.cwd}`,
    );
  }
  deps.chdir(directory);
  return directory;
}

// Writes the outputs when GitHub asked for them; a run that succeeded but whose outputs could not
// be written fails (exit 70), since later steps would read nothing.
async function finish(deps: ActionDeps, exitCode: number, summary: RunSummary | undefined): Promise<number> {
  const path = deps.env.GITHUB_OUTPUT;
  if (!path) return exitCode;
  const delimiter = deps.delimiter?.() ?? `ghadelimiter_${randomUUID()}`;
  try {
    await writeOutputs(path, actionOutputs(exitCode, summary), delimiter);
    return exitCode;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const exit = exitCode === ExitCode.ok ? ExitCode.internal : exitCode;
    report(deps, [
      new TaskAccessError(`could not write the step's outputs ($GITHUB_OUTPUT): ${message}`, {
        exitCode: exit,
      }),
    ]);
    return exit;
  }
}

// Each problem as the CLI prints an error, and in GitHub Actions also as an ::error annotation.
function report(deps: ActionDeps, problems: readonly TaskAccessError[]): void {
  const { env, io } = deps;
  for (const problem of problems) {
    if (inGithubActions(env)) {
      const message = problem.hint ? `${problem.message}\nhint: ${problem.hint}` : problem.message;
      io.stdout(formatAnnotation({ kind: "error", message, title: "taskaccess" }, { env, cwd: io.cwd }));
    }
    io.stderr(`error: ${problem.message}\n`);
    if (problem.hint) io.stderr(`  hint: ${problem.hint}\n`);
  }
}
