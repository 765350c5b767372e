import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectGolden } from "../helpers/golden.js";
import { makeProject, REPO_ROOT, runCli, runInProcess } from "../helpers/run-cli.js";
import { taskFileWith, VALID_TASK_FILE } from "../helpers/task-files.js";

const GOLDEN = join(import.meta.dirname, "golden");
const NO_STACK = /\n\s+at .+\(.*:\d+:\d+\)/;

describe("taskaccess (real process)", () => {
  it("prints help (golden) and exits 0", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expectGolden(join(GOLDEN, "help.txt"), result.stdout);
  });
  it.each([
    "validate",
    "explain",
    "list",
    "init",
    "run",
    "log",
    "revoke",
    "gc",
    "sandbox",
    "demo",
    "completion",
  ])("prints help for %s (golden)", async (command) => {
    const result = await runCli([command, "--help"]);
    expect(result.code).toBe(0);
    expectGolden(join(GOLDEN, `help-${command}.txt`), result.stdout);
  });
  it("prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    const result = await runCli(["--version"]);
    expect(result).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });
  it("exits 64 with help on stderr when no command is given", async () => {
    const result = await runCli([]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("Usage: taskaccess [options] [command]");
    expect(result.stdout).toBe("");
  });
  it("exits 64 on an unknown command or option, with a suggestion", async () => {
    const command = await runCli(["valdate"]);
    expect(command.code).toBe(64);
    expect(command.stderr).toContain("error: unknown command 'valdate'");
    expect(command.stderr).toContain("(Did you mean validate?)");
    const option = await runCli(["validate", "--strcit"]);
    expect(option.code).toBe(64);
    expect(option.stderr).toContain("error: unknown option '--strcit'");
  });
  it("suggests a command for an unknown one followed by arguments", async () => {
    const result = await runInProcess(["explian", "deploy", "--param", "version=1.0.0"]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain("error: unknown command 'explian'");
    expect(result.stderr).toContain("(Did you mean explain?)");
    expect(result.stderr).not.toContain("too many arguments");
  });
});

describe("validate", () => {
  it("exits 0 on a clean file and says so", async () => {
    const cwd = makeProject({ "taskaccess.yaml": VALID_TASK_FILE });
    const result = await runCli(["validate"], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^✓ deploy: session policy \d+\/2048 characters \(\d+%\)\n/);
    expect(result.stdout).toContain("taskaccess.yaml: 2 tasks checked, ok\n");
    expect(result.stderr).toBe("");
  });
  it("exits 0 with warnings, and 1 with --strict", async () => {
    const cwd = makeProject({
      "taskaccess.yaml": taskFileWith(
        "role: arn:aws:iam::123456789012:role/r\nallow:\n  - actions: [s3:GetObject]\n    resources: ['arn:aws:s3:::b/*']",
      ),
    });
    const relaxed = await runCli(["validate"], { cwd });
    expect(relaxed.code).toBe(0);
    expect(relaxed.stderr).toBe(
      [
        'taskaccess.yaml:3:3: warning[missing-description]: task "t" has no description',
        "  3 |   t:",
        "    |   ^",
        "  why: reviewers read the session log; a task with no description says nothing about its purpose",
        "",
      ].join("\n"),
    );
    const strict = await runCli(["validate", "--strict"], { cwd });
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain("1 task checked, refused");
  });
  it("exits 1 on an error finding, printed with file:line:col and a hint", async () => {
    const cwd = makeProject({
      "taskaccess.yaml": taskFileWith(
        "description: d\nrole: arn:aws:iam::123456789012:role/r\nallow:\n  - actions: [s3:PutObjects]\n    resources: ['arn:aws:s3:::b/*']",
      ),
    });
    const result = await runCli(["validate"], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      [
        "taskaccess.yaml:7:19: error[unknown-action]: unknown action s3:PutObjects",
        "  7 |       - actions: [s3:PutObjects]",
        "    |                   ^^^^^^^^^^^^^",
      ].join("\n"),
    );
    expect(result.stderr).toContain("  hint: did you mean s3:PutObject?\n");
    expect(result.stdout).toContain("✗ t:");
  });
  it("exits 65 on a schema error, like a compiler, without a stack trace", async () => {
    const cwd = makeProject({
      "taskaccess.yaml": taskFileWith(
        "role: arn:aws:iam::123456789012:role/r\nduraton: 15m\nallow:\n  - actions: [s3:GetObject]\n    resources: ['*']",
      ),
    });
    const result = await runCli(["validate"], { cwd });
    expect(result.code).toBe(65);
    expect(result.stderr).toBe(
      [
        'taskaccess.yaml:5:5: error: unknown key "duraton" in `tasks.t`',
        "  5 |     duraton: 15m",
        "    |     ^^^^^^^",
        '  hint: did you mean "duration"?',
        "",
      ].join("\n"),
    );
    expect(result.stderr).not.toMatch(NO_STACK);
  });
  it("prints one JSON object with --json, for findings and for errors", async () => {
    const cwd = makeProject({ "taskaccess.yaml": VALID_TASK_FILE });
    const ok = await runCli(["validate", "--json"], { cwd });
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as {
      ok: boolean;
      tasks: Array<{ name: string; findings: unknown[] }>;
    };
    expect(report.ok).toBe(true);
    expect(report.tasks.map((task) => task.name)).toEqual(["deploy", "read-logs"]);
    const broken = makeProject({ "taskaccess.yaml": "version: 1\ntasks: 3\n" });
    const bad = await runCli(["validate", "--json"], { cwd: broken });
    expect(bad.code).toBe(65);
    expect(JSON.parse(bad.stdout)).toEqual({
      ok: false,
      exitCode: 65,
      errors: [
        {
          message: "`tasks` must map task names to task definitions",
          file: "taskaccess.yaml",
          line: 2,
          column: 8,
        },
      ],
    });
    expect(bad.stderr).toBe("");
  });
  it("finds the file through TASKACCESS_FILE and --file, and says when there is none", async () => {
    const dir = makeProject({ "tasks.yaml": VALID_TASK_FILE });
    expect((await runCli(["validate"], { cwd: dir, env: { TASKACCESS_FILE: "tasks.yaml" } })).code).toBe(0);
    expect((await runCli(["--file", "tasks.yaml", "validate"], { cwd: dir })).code).toBe(0);
    const none = await runCli(["validate"], { cwd: makeProject({}) });
    expect(none.code).toBe(65);
    expect(none.stderr).toMatch(/^error: no taskaccess\.yaml found in .+ or any parent directory\n/);
    expect(none.stderr).toContain("hint: run `taskaccess init`");
  });
});

describe("explain", () => {
  const cwd = makeProject({ "taskaccess.yaml": VALID_TASK_FILE });

  it("shows the resolved task, the pretty policy and its size", async () => {
    const result = await runCli(["explain", "deploy", "--param", "version=1.4.2"], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Task deploy — Upload one release\n");
    expect(result.stdout).toContain("  role        arn:aws:iam::123456789012:role/deployer\n");
    expect(result.stdout).toContain('  {{version}} "1.4.2"  pattern [0-9]+\\.[0-9]+\\.[0-9]+\n');
    expect(result.stdout).toMatch(
      /Session policy \(\d+ of 2048 characters, \d+%\):\n\{\n {2}"Version": "2012-10-17",/,
    );
    expect(result.stdout).toContain('"Resource": "arn:aws:s3:::releases/app/1.4.2/*"');
    expect(result.stdout).toContain("No findings.");
  });
  it("leaves missing parameters as placeholders and says so", async () => {
    const result = await runCli(["explain", "deploy"], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"Resource": "arn:aws:s3:::releases/app/{{version}}/*"');
    expect(result.stdout).toContain("note: {{version}} left as written; give --param to resolve");
  });
  it("refuses a bad value with exit 65, naming the parameter", async () => {
    const result = await runCli(["explain", "deploy", "-p", "version=*"], { cwd });
    expect(result.code).toBe(65);
    expect(result.stderr).toContain('parameter "version" value "*" does not match its pattern');
  });
  it("refuses an unknown task with exit 64 and a suggestion", async () => {
    const result = await runCli(["explain", "deplyo"], { cwd });
    expect(result.code).toBe(64);
    expect(result.stderr).toBe(
      'error: no task "deplyo" in taskaccess.yaml\n  hint: did you mean "deploy"?\n',
    );
  });
  it("refuses a malformed --param with exit 64", async () => {
    const result = await runCli(["explain", "deploy", "--param", "version"], { cwd });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('error: --param "version" is not of the form name=value');
  });
  it("prints the policy and size with --json", async () => {
    const result = await runCli(["explain", "deploy", "--param", "version=2.0.0", "--json"], { cwd });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      task: { name: string; durationSeconds: number };
      policyJson: string;
      policySize: { characters: number; limit: number };
      missingParams: string[];
    };
    expect(json.task).toMatchObject({ name: "deploy", durationSeconds: 900 });
    expect(json.policySize.characters).toBe(json.policyJson.length);
    expect(json.policySize.limit).toBe(2048);
    expect(json.missingParams).toEqual([]);
    expect(json.policyJson).toContain("arn:aws:s3:::releases/app/2.0.0/*");
  });
});

describe("list", () => {
  it("prints a table and JSON", async () => {
    const cwd = makeProject({ "taskaccess.yaml": VALID_TASK_FILE });
    const table = await runCli(["list"], { cwd });
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")).toEqual([
      "TASK       DESCRIPTION                ROLE                                     DURATION",
      "deploy     Upload one release         arn:aws:iam::123456789012:role/deployer  15m",
      "read-logs  Read the application logs  arn:aws:iam::123456789012:role/reader    15m",
      "",
    ]);
    const json = await runCli(["list", "--json"], { cwd });
    expect(
      (JSON.parse(json.stdout) as { tasks: Array<{ name: string }> }).tasks.map((task) => task.name),
    ).toEqual(["deploy", "read-logs"]);
  });
});

describe("init", () => {
  it("writes a starter file that validates, and refuses to overwrite it", async () => {
    const cwd = makeProject({});
    const first = await runCli(["init"], { cwd });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Wrote taskaccess.yaml");
    const written = readFileSync(join(cwd, "taskaccess.yaml"), "utf8");
    const validate = await runCli(["validate", "--strict"], { cwd });
    expect(validate.code).toBe(0);
    const second = await runCli(["init"], { cwd });
    expect(second.code).toBe(64);
    expect(second.stderr).toContain("already exists; not overwriting it");
    expect(readFileSync(join(cwd, "taskaccess.yaml"), "utf8")).toBe(written);
  });
  it("writes to --file when given", async () => {
    const cwd = makeProject({});
    expect((await runCli(["--file", "other.yaml", "init"], { cwd })).code).toBe(0);
    expect(existsSync(join(cwd, "other.yaml"))).toBe(true);
  });
});

describe("colour", () => {
  const cwd = makeProject({ "taskaccess.yaml": VALID_TASK_FILE });
  it("is off when not a terminal, on with FORCE_COLOR, off with NO_COLOR", async () => {
    expect((await runCli(["validate"], { cwd, env: { NO_COLOR: undefined } })).stdout).not.toContain(
      "\u001b[",
    );
    expect(
      (await runCli(["validate"], { cwd, env: { NO_COLOR: undefined, FORCE_COLOR: "1" } })).stdout,
    ).toContain("\u001b[");
    expect(
      (await runCli(["validate"], { cwd, env: { NO_COLOR: "1", FORCE_COLOR: "1" } })).stdout,
    ).not.toContain("\u001b[");
  });
});

describe("in-process", () => {
  it("gives the same result as the real process", async () => {
    const cwd = makeProject({ "taskaccess.yaml": VALID_TASK_FILE });
    const real = await runCli(["validate"], { cwd });
    const inProcess = await runInProcess(["validate"], { cwd });
    expect(inProcess).toEqual(real);
  });
});
