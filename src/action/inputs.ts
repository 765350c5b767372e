import { UsageError } from "../errors.js";
import { parseParamsInput } from "./params-input.js";

type Env = Readonly<Record<string, string | undefined>>;

/** Every input of action.yml, in its order; the entry point reads these and no others. */
export const ACTION_INPUTS = [
  "task",
  "params",
  "reason",
  "command",
  "credentials",
  "isolation",
  "log",
  "file",
  "working-directory",
  "region",
  "revoke-within",
  "confirm-within",
] as const;

/** An input name: readInput takes no other, so the entry point cannot read an undeclared one. */
export type ActionInputName = (typeof ACTION_INPUTS)[number];

/** The inputs, checked: what `taskaccess run` is told. Optional ones are absent when left empty. */
export interface ActionInputs {
  task: string;
  /** `name=value`, one per non-blank, non-comment line of the params input, in order. */
  params: string[];
  command: string;
  reason?: string;
  credentials?: string;
  isolation?: string;
  log?: string;
  file?: string;
  workingDirectory?: string;
  region?: string;
  revokeWithin?: string;
  confirmWithin?: string;
}

/** Every problem at once, or the inputs: one failed step should name all that is wrong. */
export type ReadInputsResult = { ok: true; inputs: ActionInputs } | { ok: false; problems: UsageError[] };

// GitHub's name for an input's variable (actions/toolkit core getInput): `INPUT_` + the name
// upper-cased with spaces as `_`; hyphens are kept (INPUT_WORKING-DIRECTORY).
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

// One input's value, trimmed as getInput trims it; "" when unset, as GitHub passes an unset input.
export function readInput(env: Env, name: ActionInputName): string {
  return (env[inputVariable(name)] ?? "").trim();
}

// All inputs, checked together so that one failed step names every problem, not just the first.
export function readActionInputs(env: Env): ReadInputsResult {
  const problems: UsageError[] = [];
  const optional = (name: ActionInputName): string | undefined => readInput(env, name) || undefined;
  const task = readInput(env, "task");
  if (task === "") {
    problems.push(new UsageError('input "task" is required', "with: task: <a task of the task file>"));
  } else if (task.startsWith("-")) {
    problems.push(
      new UsageError(`input "task" is ${JSON.stringify(task)}: a task name cannot start with "-"`),
    );
  }
  const command = readInput(env, "command");
  if (command === "") {
    problems.push(
      new UsageError(
        'input "command" is required',
        "with: command: <the script to run with the task's credentials, as in a run: step>",
      ),
    );
  }
  // Untrimmed, so that the line numbers in its errors are the lines as written.
  const params = parseParamsInput(env[inputVariable("params")] ?? "");
  problems.push(...params.problems);
  if (problems.length > 0) return { ok: false, problems };
  const inputs: ActionInputs = { task, params: params.params, command };
  const set = <K extends keyof ActionInputs>(key: K, value: ActionInputs[K] | undefined) => {
    if (value !== undefined) inputs[key] = value;
  };
  set("reason", optional("reason"));
  set("credentials", optional("credentials"));
  set("isolation", optional("isolation"));
  set("log", optional("log"));
  set("file", optional("file"));
  set("workingDirectory", optional("working-directory"));
  set("region", optional("region"));
  set("revokeWithin", optional("revoke-within"));
  set("confirmWithin", optional("confirm-within"));
  return { ok: true, inputs };
}

// The step's environment without this Action's inputs: the command has no use for them (its
// script would be in its own environment), and the run should see the job's variables only.
export function withoutInputs(env: Env): Record<string, string | undefined> {
  const ours = new Set<string>(ACTION_INPUTS.map(inputVariable));
  const rest: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) if (!ours.has(name)) rest[name] = value;
  return rest;
}
