// GitHub Actions: `::error` annotations for task-file errors and validate's findings, and the
// job-summary table `run` appends to $GITHUB_STEP_SUMMARY.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createChalk } from "../../src/cli/color.js";
import type { CliContext } from "../../src/cli/context.js";
import { escapeData, escapeProperty, formatAnnotation } from "../../src/cli/github-annotations.js";
import { appendGithubSummary, SUMMARY_HEADER } from "../../src/cli/github-summary.js";
import { TaskAccessError } from "../../src/errors.js";
import type { RunPlan } from "../../src/session/plan-run.js";
import type { RunOutcome } from "../../src/session/run-session.js";
import { makeProject, runInProcess } from "../helpers/run-cli.js";
import { taskFileWith } from "../helpers/task-files.js";

const GITHUB = { GITHUB_ACTIONS: "true" };

describe("workflow-command escaping (as actions/toolkit does)", () => {
  it("escapes %, CR and LF in the message, and also : and , in properties", () => {
    expect(escapeData("100% done\r\nnext: a, b")).toBe("100%25 done%0D%0Anext: a, b");
    expect(escapeProperty("C:\\dir,x%\n")).toBe("C%3A\\dir%2Cx%25%0A");
  });
  it("formats file, line, col, endColumn and title; a diagnostic without a place has none", () => {
    const location = { file: "ta,sk:s.yaml", line: 7, column: 19, length: 13, lineText: "" };
    expect(
      formatAnnotation(
        { kind: "error", message: "bad\nhint: x", location, title: "taskaccess a:b" },
        {
          env: {},
          cwd: "/w",
        },
      ),
    ).toBe(
      "::error file=ta%2Csk%3As.yaml,line=7,col=19,endColumn=31,title=taskaccess a%3Ab::bad%0Ahint: x\n",
    );
    expect(formatAnnotation({ kind: "warning", message: "m" }, { env: {}, cwd: "/w" })).toBe(
      "::warning::m\n",
    );
  });
  it("names the file relative to GITHUB_WORKSPACE, where GitHub can link it", () => {
    const location = { file: "../taskaccess.yaml", line: 1, column: 1, length: 1, lineText: "" };
    const annotation = (env: Record<string, string>) =>
      formatAnnotation({ kind: "error", message: "m", location }, { env, cwd: "/repo/sub" });
    expect(annotation({ GITHUB_WORKSPACE: "/repo" })).toBe("::error file=taskaccess.yaml,line=1,col=1::m\n");
    expect(annotation({ GITHUB_WORKSPACE: "/elsewhere" })).toBe(
      "::error file=../taskaccess.yaml,line=1,col=1::m\n",
    );
  });
});

describe("annotations from the CLI", () => {
  const unknownAction = taskFileWith(
    "description: d\nrole: arn:aws:iam::123456789012:role/r\nallow:\n  - actions: [s3:PutObjects]\n    resources: ['arn:aws:s3:::b/*']",
  );
  it("validate: an error finding on its line, a warning as ::warning, only in GitHub Actions", async () => {
    const cwd = makeProject({ "taskaccess.yaml": unknownAction });
    const result = await runInProcess(["validate"], { cwd, env: { ...GITHUB, GITHUB_WORKSPACE: cwd } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^::error file=taskaccess\.yaml,line=7,col=19,endColumn=31,title=taskaccess unknown-action::unknown action s3:PutObjects%0Awhy: .+%0Ahint: did you mean s3:PutObject\?$/m,
    );
    // The usual report is unchanged, on stderr.
    expect(result.stderr).toContain(
      "taskaccess.yaml:7:19: error[unknown-action]: unknown action s3:PutObjects",
    );
    const warned = makeProject({
      "taskaccess.yaml": taskFileWith(
        "role: arn:aws:iam::123456789012:role/r\nallow:\n  - actions: [s3:GetObject]\n    resources: ['arn:aws:s3:::b/*']",
      ),
    });
    const relaxed = await runInProcess(["validate"], { cwd: warned, env: GITHUB });
    expect(relaxed.stdout).toMatch(
      /^::warning file=taskaccess\.yaml,line=3,col=3,title=taskaccess missing-description::/m,
    );
    const strict = await runInProcess(["validate", "--strict"], { cwd: warned, env: GITHUB });
    expect(strict.stdout).toMatch(
      /^::error file=taskaccess\.yaml,line=3,col=3,title=taskaccess missing-description::/m,
    );
    const local = await runInProcess(["validate"], { cwd });
    expect(local.stdout).not.toContain("::");
    const json = await runInProcess(["validate", "--json"], { cwd, env: GITHUB });
    expect(() => JSON.parse(json.stdout)).not.toThrow();
  });
  it("a task-file error (schema, YAML) from any command, with its hint", async () => {
    const cwd = makeProject({
      "taskaccess.yaml": taskFileWith(
        "role: arn:aws:iam::123456789012:role/r\nduraton: 15m\nallow:\n  - actions: [s3:GetObject]\n    resources: ['*']",
      ),
    });
    for (const args of [["validate"], ["list"], ["explain", "t"]]) {
      const result = await runInProcess(args, { cwd, env: GITHUB });
      expect(result.code).toBe(65);
      expect(result.stdout).toBe(
        '::error file=taskaccess.yaml,line=5,col=5,endColumn=11,title=taskaccess::unknown key "duraton" in `tasks.t`%0Ahint: did you mean "duration"?\n',
      );
      expect(result.stderr).toContain('taskaccess.yaml:5:5: error: unknown key "duraton" in `tasks.t`');
    }
    const json = await runInProcess(["list", "--json"], { cwd, env: GITHUB });
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, exitCode: 65 });
  });
});

describe("the job summary", () => {
  const plan = (actor?: string) =>
    ({
      task: { name: "deploy" },
      ci: actor ? { provider: "github-actions", actor } : undefined,
      sourceIdentity: "local-user",
    }) as unknown as RunPlan;
  const outcome = (overrides: Partial<RunOutcome> = {}): RunOutcome =>
    ({
      exitCode: 0,
      sessionId: "abcdefghijkl",
      sessionName: "ta-deploy-abcdefghijkl",
      revoked: true,
      durationMs: 1234,
      child: { code: 0, signal: null, timedOut: false, durationMs: 1000 },
      ...overrides,
    }) as RunOutcome;
  const context = (env: Record<string, string>) => {
    let stderr = "";
    const ctx = {
      io: {
        stdout: () => {},
        stderr: (text: string) => (stderr += text),
        env,
        cwd: "/",
        stdoutIsTTY: false,
        stderrIsTTY: false,
      },
      out: createChalk({ NO_COLOR: "1" }, false),
      err: createChalk({ NO_COLOR: "1" }, false),
      exitCode: 0,
      verbose: false,
    } as CliContext;
    return { ctx, stderr: () => stderr };
  };
  const dir = mkdtempSync(join(tmpdir(), "taskaccess-summary-"));

  it("writes the header once per step, then a row per session", async () => {
    const path = join(dir, "once.md");
    writeFileSync(path, "");
    const { ctx } = context({ GITHUB_STEP_SUMMARY: path });
    await appendGithubSummary(ctx, plan("octocat"), outcome(), "a".repeat(64));
    await appendGithubSummary(
      ctx,
      plan("octo|cat*"),
      outcome({ exitCode: 143, child: { code: null, signal: "SIGTERM", timedOut: true, durationMs: 1 } }),
    );
    await appendGithubSummary(
      ctx,
      plan(),
      outcome({
        exitCode: 3,
        revoked: false,
        expiration: new Date("2026-11-28T12:15:00Z"),
        revocationError: new TaskAccessError("iam down", { exitCode: 69 }),
      }),
    );
    expect(readFileSync(path, "utf8")).toBe(
      [
        ...SUMMARY_HEADER,
        `| deploy | \`ta-deploy-abcdefghijkl\` | octocat | 0 | 1.2s | yes | \`${"a".repeat(64)}\` |`,
        "| deploy | `ta-deploy-abcdefghijkl` | octo\\|cat\\* | 143 (timed out) | 1.2s | yes | - |",
        "| deploy | `ta-deploy-abcdefghijkl` | local-user | 3 | 1.2s | **NO**, valid until 2026-11-28T12:15:00.000Z; run `taskaccess revoke --pending` | - |",
        "",
      ].join("\n"),
    );
  });
  it("starts a new table after other content, and creates a missing file", async () => {
    const path = join(dir, "mixed.md");
    writeFileSync(path, "# Build\nall green");
    const { ctx } = context({ GITHUB_STEP_SUMMARY: path });
    await appendGithubSummary(ctx, plan("octocat"), outcome());
    expect(readFileSync(path, "utf8")).toBe(
      `# Build\nall green\n\n${SUMMARY_HEADER.join("\n")}\n| deploy | \`ta-deploy-abcdefghijkl\` | octocat | 0 | 1.2s | yes | - |\n`,
    );
    const fresh = join(dir, "fresh.md");
    await appendGithubSummary(context({ GITHUB_STEP_SUMMARY: fresh }).ctx, plan("a"), outcome());
    expect(readFileSync(fresh, "utf8").startsWith(`${SUMMARY_HEADER[0]}\n`)).toBe(true);
  });
  it("warns and goes on when the file cannot be written; does nothing outside GitHub", async () => {
    mkdirSync(join(dir, "a-directory"));
    const { ctx, stderr } = context({ GITHUB_STEP_SUMMARY: join(dir, "a-directory") });
    await expect(appendGithubSummary(ctx, plan("octocat"), outcome())).resolves.toBeUndefined();
    expect(stderr()).toMatch(/^warning: could not write the job summary \(\$GITHUB_STEP_SUMMARY\): EISDIR/);
    const none = context({});
    await appendGithubSummary(none.ctx, plan("octocat"), outcome());
    expect(none.stderr()).toBe("");
  });
});
