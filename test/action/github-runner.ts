// What the tests need of GitHub's runner to run this repository's action.yml (a composite action)
// the way GitHub does: its inputs with their defaults, `${{ }}` expressions (property paths only),
// each `run:` step in bash with GITHUB_OUTPUT, the steps' outputs read back, and the action's
// outputs mapped from them. The install step is not run: the tests run on this checkout's build
// (`npm run build` first); what it would do is checked by reading it. Also the GITHUB_OUTPUT file
// syntax, for the workflow steps of docs/ci.md.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { collectOutput, REPO_ROOT } from "../e2e/helpers.js";

export const ACTION_YML = join(REPO_ROOT, "action.yml");
/** GitHub's bash for a `run:` step with `shell: bash` ("Workflow syntax", jobs.<id>.steps[*].shell). */
export const GITHUB_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"];

export interface ActionYml {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: {
    using: string;
    steps: Array<{
      name?: string;
      id?: string;
      shell?: string;
      run?: string;
      env?: Record<string, string>;
      "working-directory"?: string;
    }>;
  };
}

export function readActionYml(): ActionYml {
  return parse(readFileSync(ACTION_YML, "utf8")) as ActionYml;
}

// `${{ a.b.c }}` replaced by lookup("a.b.c"); anything but a property path, or a path the lookup
// does not know, fails the test rather than running with a wrong value.
export function evaluate(text: string, lookup: (path: string) => string | undefined): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_whole, expression: string) => {
    if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(expression)) {
      throw new Error(`the test runner evaluates property paths only, not ${JSON.stringify(expression)}`);
    }
    const value = lookup(expression);
    if (value === undefined) throw new Error(`unknown in this test: \${{ ${expression} }}`);
    return value;
  });
}

// A GITHUB_OUTPUT file as the runner reads it: `name=value` lines and `name<<DELIMITER` blocks;
// a later value of a name replaces the earlier one.
export function parseGithubOutput(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = "", delimiter] = heredoc;
      const end = lines.indexOf(delimiter ?? "", index + 1);
      if (end === -1) throw new Error(`GITHUB_OUTPUT: ${name} has no closing ${delimiter}`);
      outputs[name] = lines.slice(index + 1, end).join("\n");
      index = end;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`GITHUB_OUTPUT: invalid line ${JSON.stringify(line)}`);
    outputs[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return outputs;
}

export interface StepResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The step's GITHUB_OUTPUT file as written. */
  outputFile: string;
  outputs: Record<string, string>;
}

// One `run:` script in GitHub's bash (from a file, as GitHub runs it), with a GITHUB_OUTPUT of its own.
export async function runBashStep(
  script: string,
  cwd: string,
  env: Record<string, string>,
  onSpawn?: (child: ChildProcess) => void,
): Promise<StepResult> {
  const dir = mkdtempSync(join(tmpdir(), "taskaccess-step-"));
  try {
    const file = join(dir, "script.sh");
    const output = join(dir, "output");
    writeFileSync(file, script);
    writeFileSync(output, "");
    const child = spawn(GITHUB_BASH[0] ?? "bash", [...GITHUB_BASH.slice(1), file], {
      cwd,
      env: { ...env, GITHUB_OUTPUT: output },
      stdio: ["ignore", "pipe", "pipe"],
    });
    onSpawn?.(child);
    const { code, stdout, stderr } = await collectOutput(child).done;
    const outputFile = readFileSync(output, "utf8");
    return { code, stdout, stderr, outputFile, outputs: parseGithubOutput(outputFile) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ActionResult extends StepResult {
  /** The action's outputs, as a later step sees them (steps.<id>.outputs). */
  actionOutputs: Record<string, string>;
  /** The environment the entry point's step got (the INPUT_* variables among it). */
  stepEnv: Record<string, string>;
}

// `uses: OWNER/taskaccess@COMMIT` with `with:`, run as GitHub runs the composite action, except
// the install step; `env` is the job's environment with the `uses:` step's own `env:`. onSpawn
// gets each step's process, the one GitHub's runner signals when the job is cancelled.
export async function runAction(
  withInputs: Record<string, string>,
  env: Record<string, string>,
  workspace: string,
  onSpawn?: (child: ChildProcess) => void,
): Promise<ActionResult> {
  const action = readActionYml();
  for (const name of Object.keys(withInputs)) {
    if (!(name in action.inputs)) throw new Error(`action.yml has no input ${name}`);
  }
  const inputs: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs))
    inputs[name] = withInputs[name] ?? input.default ?? "";
  const [install, ...steps] = action.runs.steps;
  if (!install?.run?.includes("npm ci")) throw new Error("action.yml's first step is not the install step");
  const stepOutputs: Record<string, Record<string, string>> = {};
  const lookup = (path: string): string | undefined => {
    const [scope, name, ...rest] = path.split(".");
    if (scope === "inputs" && name !== undefined && rest.length === 0) return inputs[name];
    if (path === "github.action_path") return REPO_ROOT;
    if (path === "github.workspace") return workspace;
    if (scope === "steps" && name !== undefined && rest[0] === "outputs" && rest.length === 2) {
      return stepOutputs[name]?.[rest[1] ?? ""] ?? "";
    }
    return undefined;
  };
  let last: StepResult | undefined;
  let stepEnv: Record<string, string> = {};
  for (const step of steps) {
    if (step.shell !== "bash" || step.run === undefined) throw new Error("a composite step that is not bash");
    stepEnv = { ...env, GITHUB_ACTION_PATH: REPO_ROOT };
    for (const [name, value] of Object.entries(step.env ?? {})) stepEnv[name] = evaluate(value, lookup);
    const directory = step["working-directory"];
    const cwd = directory === undefined ? workspace : resolve(workspace, evaluate(directory, lookup));
    last = await runBashStep(evaluate(step.run, lookup), cwd, stepEnv, onSpawn);
    if (step.id !== undefined) stepOutputs[step.id] = last.outputs;
    if (last.code !== 0) break;
  }
  if (!last) throw new Error("action.yml has no step after the install step");
  const actionOutputs: Record<string, string> = {};
  for (const [name, output] of Object.entries(action.outputs)) {
    actionOutputs[name] = evaluate(output.value, lookup);
  }
  return { ...last, actionOutputs, stepEnv };
}
