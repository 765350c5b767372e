// action.yml against the entry point: the inputs it declares are the ones src/action reads (and
// the required ones the ones it insists on), each passed to the entry point as GitHub names input
// variables, its outputs the ones the entry point writes; docs/ci.md's table names them all. The
// install step's script is run in its cheap branches (already built; Node too old).
import { spawnSync } from "node:child_process";
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ACTION_INPUTS, inputVariable, readActionInputs } from "../../src/action/inputs.js";
import { ACTION_OUTPUTS } from "../../src/action/outputs.js";
import { REPO_ROOT } from "../e2e/helpers.js";
import { GITHUB_BASH, readActionYml } from "./github-runner.js";

const action = readActionYml();
const [install, run] = action.runs.steps;

// The INPUT_* variables readActionInputs reads, given the env (recorded through a Proxy).
function variablesRead(env: Record<string, string>): string[] {
  const read = new Set<string>();
  const recording = new Proxy(env, {
    get: (target, name) => {
      if (typeof name === "string") read.add(name);
      return typeof name === "string" ? target[name] : undefined;
    },
  });
  readActionInputs(recording);
  return [...read].filter((name) => name.startsWith("INPUT_")).sort();
}

let temp = "";
beforeEach(() => {
  temp = mkdtempSync(join(tmpdir(), "taskaccess-action-yml-"));
});
afterEach(() => {
  rmSync(temp, { recursive: true, force: true });
});

describe("action.yml", () => {
  it("declares exactly the inputs the entry point reads, in its order", () => {
    expect(Object.keys(action.inputs)).toEqual([...ACTION_INPUTS]);
    const declared = Object.keys(action.inputs).map(inputVariable).sort();
    expect(variablesRead({ INPUT_TASK: "deploy", INPUT_COMMAND: "true" })).toEqual(declared);
  });

  it("marks as required exactly the inputs the entry point refuses to run without", () => {
    // GitHub does not enforce `required` (actions/runner#1070): the entry point must.
    const read = readActionInputs({});
    const missing = read.ok
      ? []
      : read.problems.flatMap((problem) => /^input "([\w-]+)" is required$/.exec(problem.message)?.[1] ?? []);
    const required = Object.entries(action.inputs).flatMap(([name, input]) => (input.required ? [name] : []));
    expect(missing).toEqual(["task", "command"]);
    expect(required).toEqual(missing);
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description, name).not.toBe("");
      if (!input.required) expect(input.default, name).toBe("");
    }
  });

  it("passes each input to the entry point in the variable GitHub would give a JavaScript action", () => {
    expect(action.runs.using).toBe("composite");
    expect(run?.id).toBe("run");
    expect(run?.env).toEqual(
      Object.fromEntries(
        Object.keys(action.inputs).map((name) => [inputVariable(name), `\${{ inputs.${name} }}`]),
      ),
    );
    expect(run?.["working-directory"]).toBe("${{ github.workspace }}");
    expect(run?.run?.trim()).toBe('exec node "$GITHUB_ACTION_PATH/bin/taskaccess-action"');
    accessSync(join(REPO_ROOT, "bin/taskaccess-action"), constants.X_OK);
    expect(action.runs.steps).toHaveLength(2);
  });

  it("has the outputs the entry point writes, each the run step's", () => {
    expect(Object.keys(action.outputs)).toEqual([...ACTION_OUTPUTS]);
    for (const [name, output] of Object.entries(action.outputs)) {
      expect(output.value, name).toBe(`\${{ steps.run.outputs.${name} }}`);
    }
  });

  it("is documented in docs/ci.md: a table row for each input and output", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs/ci.md"), "utf8");
    const rows = [...doc.matchAll(/^\| `([\w-]+)` \|/gm)].map((match) => match[1]);
    expect(rows).toEqual([...ACTION_INPUTS, ...ACTION_OUTPUTS]);
  });
});

describe("action.yml's install step", () => {
  // Runs the step's script as GitHub would, in a copy of what it looks at, with PATH's node first.
  function installStep(nodeOnPath: string, built: boolean) {
    const actionPath = join(temp, "action");
    const bin = join(temp, "bin");
    for (const dir of [bin, join(actionPath, "dist/bundle"), join(actionPath, "dist/action")]) {
      mkdirSync(dir, { recursive: true });
    }
    if (built) {
      writeFileSync(join(actionPath, "dist/bundle/main.js"), "");
      writeFileSync(join(actionPath, "dist/action/run-action.js"), "");
    }
    // npm must not be reached in these branches: one that is fails loudly.
    writeFileSync(join(bin, "npm"), "#!/bin/sh\necho npm must not run here >&2\nexit 99\n", { mode: 0o755 });
    writeFileSync(join(bin, "node"), `#!/bin/sh\nexec "${nodeOnPath}" "$@"\n`, { mode: 0o755 });
    const githubPath = join(temp, "github-path");
    writeFileSync(githubPath, "");
    expect(install?.["working-directory"]).toBe("${{ github.action_path }}");
    const result = spawnSync(GITHUB_BASH[0] ?? "bash", [...GITHUB_BASH.slice(1), "-c", install?.run ?? ""], {
      cwd: actionPath,
      env: { PATH: `${bin}:/usr/bin:/bin`, GITHUB_PATH: githubPath },
      encoding: "utf8",
    });
    return { ...result, githubPath: readFileSync(githubPath, "utf8"), actionPath };
  }

  it("installs with npm ci from the lock file, the dev dependencies included (the build needs tsc)", () => {
    expect(install?.shell).toBe("bash");
    expect(install?.run).toContain("npm ci --include=dev --no-audit --no-fund\n");
    expect(install?.run).toContain("if [ ! -f dist/bundle/main.js ]; then npm run build; fi\n");
  });

  it("once built, builds nothing and puts bin/ on PATH for the later steps", () => {
    const result = installStep(process.execPath, true);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`taskaccess is already built in ${result.actionPath}\n`);
    expect(result.githubPath).toBe(`${result.actionPath}/bin\n`);
  });

  it("stops with an annotation before npm when node is older than 20", () => {
    const oldNode = join(temp, "node18");
    writeFileSync(oldNode, `#!/bin/sh\nif [ "$1" = --version ]; then echo v18.20.4; else echo 18; fi\n`, {
      mode: 0o755,
    });
    const result = installStep(oldNode, false);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(
      "::error title=taskaccess::taskaccess needs Node.js 20 or later on PATH (found: v18.20.4); add actions/setup-node with node-version 20 before this step\n",
    );
    expect(result.githubPath).toBe("");
  });
});
