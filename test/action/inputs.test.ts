// The Action's inputs without a process: how the INPUT_* variables are read and checked, the argv
// of `taskaccess run` they become, and the $GITHUB_OUTPUT text. The process against the sandbox:
// run-action.test.ts.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inputVariable, readActionInputs, withoutInputs } from "../../src/action/inputs.js";
import { actionOutputs, formatOutputs } from "../../src/action/outputs.js";
import { parseParamsInput } from "../../src/action/params-input.js";
import { runAction } from "../../src/action/run-action.js";
import { COMMAND_SHELL, runArgv } from "../../src/action/run-argv.js";
import type { CliIo } from "../../src/cli/context.js";
import { ExitCode } from "../../src/errors.js";
import { parseGithubOutput } from "./github-runner.js";

const problemsOf = (env: Record<string, string>) => {
  const read = readActionInputs(env);
  return read.ok ? [] : read.problems.map((problem) => [problem.message, problem.hint, problem.exitCode]);
};

describe("inputVariable", () => {
  it("is INPUT_ and the name upper-cased, spaces as _, hyphens kept, as GitHub names them", () => {
    expect(inputVariable("task")).toBe("INPUT_TASK");
    expect(inputVariable("working-directory")).toBe("INPUT_WORKING-DIRECTORY");
    expect(inputVariable("a name")).toBe("INPUT_A_NAME");
  });
});

describe("parseParamsInput", () => {
  it("takes one name=value a line, split at the first =, skipping blank and # lines", () => {
    expect(parseParamsInput("version=1.2.3\n\n  # a comment\r\n  label=env=prod=1  \nempty=\n")).toEqual({
      params: ["version=1.2.3", "label=env=prod=1", "empty="],
      problems: [],
    });
  });

  it("names each bad line by its number and says what is wrong", () => {
    const { params, problems } = parseParamsInput("version=1.2.3\nversion 1.2.3\n=x\nv ersion=1\nversion=2");
    expect(params).toEqual(["version=1.2.3"]);
    expect(problems.map((problem) => [problem.message, problem.hint])).toEqual([
      [
        'input "params", line 2: "version 1.2.3" is not of the form name=value',
        "write one parameter a line, such as version=1.4.2",
      ],
      [
        'input "params", line 3: "=x" is not of the form name=value',
        "a name is letters, digits and _, with no space before the =",
      ],
      [
        'input "params", line 4: "v ersion=1" is not of the form name=value',
        "a name is letters, digits and _, with no space before the =",
      ],
      ['input "params", line 5: version is given again (first on line 1)', "give each parameter once"],
    ]);
  });
});

describe("readActionInputs", () => {
  it("reports every problem at once, each a usage error (exit 64)", () => {
    expect(problemsOf({ INPUT_TASK: "  ", INPUT_PARAMS: "\n\nnot a param" })).toEqual([
      ['input "task" is required', "with: task: <a task of the task file>", ExitCode.usage],
      [
        'input "command" is required',
        "with: command: <the script to run with the task's credentials, as in a run: step>",
        ExitCode.usage,
      ],
      [
        'input "params", line 3: "not a param" is not of the form name=value',
        "write one parameter a line, such as version=1.4.2",
        ExitCode.usage,
      ],
    ]);
  });

  it("refuses a task that commander would read as an option", () => {
    expect(problemsOf({ INPUT_TASK: "--help", INPUT_COMMAND: "true" })).toEqual([
      ['input "task" is "--help": a task name cannot start with "-"', undefined, ExitCode.usage],
    ]);
  });

  it("trims values as GitHub's getInput does, and leaves out the empty optional ones", () => {
    expect(
      readActionInputs({
        INPUT_TASK: " deploy\n",
        INPUT_COMMAND: "\n./deploy.sh\n",
        INPUT_REASON: "",
        INPUT_LOG: "  ",
        "INPUT_WORKING-DIRECTORY": "app ",
        "INPUT_REVOKE-WITHIN": "10s",
      }),
    ).toEqual({
      ok: true,
      inputs: {
        task: "deploy",
        params: [],
        command: "./deploy.sh",
        workingDirectory: "app",
        revokeWithin: "10s",
      },
    });
  });
});

describe("runArgv", () => {
  it("is `taskaccess [--file] run TASK` with each value joined to its flag, then the command in bash -e", () => {
    expect(
      runArgv({
        task: "deploy",
        params: ["version=1.2.3", "label=-x=y"],
        command: "set -x\n./deploy.sh",
        reason: "--nested",
        credentials: "server",
        isolation: "namespace",
        log: "s3://bucket/prefix/",
        file: "ci/taskaccess.yaml",
        region: "eu-west-1",
        revokeWithin: "10s",
        confirmWithin: "1m",
      }),
    ).toEqual([
      "node",
      "taskaccess",
      "--file=ci/taskaccess.yaml",
      "run",
      "deploy",
      "--param=version=1.2.3",
      "--param=label=-x=y",
      "--reason=--nested",
      "--credentials=server",
      "--isolation=namespace",
      "--log=s3://bucket/prefix/",
      "--region=eu-west-1",
      "--revoke-within=10s",
      "--confirm-within=1m",
      "--",
      "bash",
      "--noprofile",
      "--norc",
      "-eo",
      "pipefail",
      "-c",
      "set -x\n./deploy.sh",
    ]);
    expect(runArgv({ task: "deploy", params: [], command: "true" })).toEqual([
      "node",
      "taskaccess",
      "run",
      "deploy",
      "--",
      ...COMMAND_SHELL,
      "true",
    ]);
  });
});

describe("withoutInputs", () => {
  it("removes this Action's INPUT_ variables only", () => {
    expect(
      withoutInputs({
        INPUT_TASK: "deploy",
        "INPUT_WORKING-DIRECTORY": "app",
        INPUT_OTHER: "x",
        PATH: "/bin",
      }),
    ).toEqual({ INPUT_OTHER: "x", PATH: "/bin" });
  });
});

describe("outputs", () => {
  it("writes every output in the name<<DELIMITER syntax, which keeps line breaks", () => {
    const text = formatOutputs({ session: "abc", "log-head": "", note: "two\nlines" }, "ghadelimiter_X");
    expect(text).toBe(
      "session<<ghadelimiter_X\nabc\nghadelimiter_X\nlog-head<<ghadelimiter_X\n\nghadelimiter_X\nnote<<ghadelimiter_X\ntwo\nlines\nghadelimiter_X\n",
    );
    expect(parseGithubOutput(text)).toEqual({ session: "abc", "log-head": "", note: "two\nlines" });
  });

  it("refuses a value holding the delimiter, which would end it early", () => {
    expect(() => formatOutputs({ session: "a\nD\nexit-code<<D" }, "D")).toThrow(
      "the output session contains the delimiter D",
    );
  });

  it("sets exit-code also when no session was issued, and the rest empty", () => {
    expect(actionOutputs(64, undefined)).toEqual({
      session: "",
      "session-name": "",
      "exit-code": "64",
      revoked: "",
      "log-head": "",
    });
  });
});

describe("runAction, with a stand-in for main()", () => {
  // Runs the entry point in-process: main() is replaced, so only the Action's own part runs.
  async function withMain(exitCode: number, githubOutput: (dir: string) => string) {
    const dir = mkdtempSync(join(tmpdir(), "taskaccess-action-unit-"));
    try {
      let stderr = "";
      const calls: Array<{ argv: readonly string[]; io: CliIo }> = [];
      const io: CliIo = {
        stdout: () => {},
        stderr: (text) => {
          stderr += text;
        },
        env: {},
        cwd: dir,
        stdoutIsTTY: false,
        stderrIsTTY: false,
      };
      const output = githubOutput(dir);
      const code = await runAction({
        env: { INPUT_TASK: "deploy", INPUT_COMMAND: "true", GITHUB_OUTPUT: output, PATH: "/bin" },
        io,
        main: async (argv, runIo) => {
          calls.push({ argv, io: runIo });
          return exitCode;
        },
        chdir: () => {
          throw new Error("no working-directory was given");
        },
        delimiter: () => "EOF_1",
      });
      let written = "";
      try {
        written = readFileSync(output, "utf8");
      } catch {
        // a directory
      }
      return { code, stderr, calls, written };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("gives main() the argv, the environment without the inputs, and writes exit-code", async () => {
    const result = await withMain(3, (dir) => join(dir, "output"));
    expect(result.code).toBe(3);
    expect(result.calls.map(({ argv, io }) => [argv, io.env])).toEqual([
      [
        ["node", "taskaccess", "run", "deploy", "--", ...COMMAND_SHELL, "true"],
        { GITHUB_OUTPUT: expect.any(String), PATH: "/bin" },
      ],
    ]);
    expect(result.written).toContain("exit-code<<EOF_1\n3\nEOF_1\n");
    expect(result.stderr).toBe("");
  });

  it("fails a run that succeeded when $GITHUB_OUTPUT cannot be written (exit 70); keeps a failed run's code", async () => {
    const ok = await withMain(0, (dir) => dir);
    expect(ok.code).toBe(ExitCode.internal);
    expect(ok.stderr).toMatch(/^error: could not write the step's outputs \(\$GITHUB_OUTPUT\): EISDIR/);
    const failed = await withMain(3, (dir) => dir);
    expect(failed.code).toBe(3);
  });
});
