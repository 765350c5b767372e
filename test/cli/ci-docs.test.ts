// docs/ci.md, run: its task file, the GitHub Actions steps that compute or run something (whole
// `run:` scripts that set an output or run taskaccess, with GitHub's bash -eo pipefail, and the
// step that uses this repository's Action, run from action.yml as GitHub runs it but on this
// checkout's build: test/action/github-runner.ts) and every `taskaccess …` line of the GitLab CI
// job (sh -c), against the in-process sandbox with the CI's variables set (fake values; the OIDC
// login replaced by the sandbox's base keys). Checked: exit 0, the GitHub job summary, the
// Action's outputs, the `ci` fields of the log and the SourceIdentity STS recorded (= the actor).
// bin/taskaccess and bin/taskaccess-action run dist/: `npm run build` first.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SUMMARY_HEADER } from "../../src/cli/github-summary.js";
import { evaluate, runAction, runBashStep } from "../action/github-runner.js";
import {
  collectOutput,
  type E2eProject,
  FULL_SESSION,
  REPO_ROOT,
  readLog,
  SDK_CHILD,
  startProject,
} from "../e2e/helpers.js";

const DOC = readFileSync(join(REPO_ROOT, "docs/ci.md"), "utf8");

// The fenced block whose first line is the comment `# NAME` (how docs/ci.md labels its files).
function docFile(name: string): string {
  for (const match of DOC.matchAll(/^```[^\n]*\n([\s\S]*?)^```$/gm)) {
    const body = match[1] ?? "";
    if (body.startsWith(`# ${name}\n`)) return body;
  }
  throw new Error(`docs/ci.md has no block starting with "# ${name}"`);
}

// The shell lines of a script that run taskaccess, in order.
function taskaccessLines(scripts: string[]): string[] {
  return scripts
    .flatMap((script) => script.split("\n"))
    .map((line) => line.trim())
    .filter((line) => line.startsWith("taskaccess "));
}

/** One step the test runs: a shell script, or (GitHub) the step that uses the taskaccess Action. */
type Step =
  | { kind: "script"; id?: string | undefined; script: string }
  | { kind: "action"; id?: string | undefined; with: Record<string, string>; env: Record<string, string> };

interface Workflow {
  /** The job's own variables, except AWS_* (the base identity here is the sandbox's keys). */
  env: Record<string, string>;
  /** In order: each script runs in a shell of its own. */
  steps: Step[];
  /** GitLab's lines run in sh -c; GitHub's steps as GitHub runs them (github-runner.ts). */
  provider: "github" | "gitlab";
}

interface GithubStep {
  id?: string;
  run?: string;
  uses?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}

function githubWorkflow(): Workflow {
  const doc = parse(docFile(".github/workflows/release.yml")) as {
    jobs: Record<string, { env?: Record<string, string>; steps: GithubStep[] }>;
  };
  const job = doc.jobs.deploy;
  if (!job) throw new Error("the workflow has no deploy job");
  expect(job.steps.some((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials@"))).toBe(
    true,
  );
  expect(job.steps.some((step) => step.uses?.startsWith("actions/upload-artifact@"))).toBe(true);
  return {
    env: withoutAws(job.env ?? {}),
    // The steps that set an output for later ones or run taskaccess, and the Action's step.
    steps: job.steps.flatMap((step): Step[] => {
      if (step.uses?.startsWith("OWNER/taskaccess@")) {
        expect(step.uses).toBe("OWNER/taskaccess@COMMIT");
        return [{ kind: "action", id: step.id, with: step.with ?? {}, env: step.env ?? {} }];
      }
      if (step.run && (step.id !== undefined || taskaccessLines([step.run]).length > 0)) {
        return [{ kind: "script", id: step.id, script: step.run }];
      }
      return [];
    }),
    provider: "github",
  };
}

function gitlabJob(): Workflow {
  const doc = parse(docFile(".gitlab-ci.yml")) as Record<
    string,
    {
      variables?: Record<string, string>;
      id_tokens?: Record<string, unknown>;
      before_script?: string[];
      script: string[];
      after_script?: string[];
      artifacts?: { paths?: string[] };
    }
  >;
  const job = doc.deploy;
  if (!job) throw new Error("the GitLab CI file has no deploy job");
  expect(Object.keys(job.id_tokens ?? {})).not.toEqual([]);
  expect(job.variables?.AWS_ROLE_ARN).toMatch(/^arn:aws:iam::/);
  expect(job.artifacts?.paths).toContain(job.variables?.TASKACCESS_LOG);
  return {
    env: withoutAws(job.variables ?? {}),
    steps: taskaccessLines([...(job.before_script ?? []), ...job.script, ...(job.after_script ?? [])]).map(
      (script): Step => ({ kind: "script", script }),
    ),
    provider: "gitlab",
  };
}

function withoutAws(variables: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(variables).filter(([name]) => !name.startsWith("AWS_")));
}

interface ShellResult {
  command: string;
  code: number | null;
  stdout: string;
  stderr: string;
  /** GitHub: what a script step set in $GITHUB_OUTPUT, or the Action's outputs. */
  outputs: Record<string, string>;
}

// One documented GitLab line, as GitLab runs it, in the checkout; asynchronous, since the sandbox
// answers from this process.
async function sh(project: E2eProject, command: string, env: Record<string, string>): Promise<ShellResult> {
  const child = spawn("sh", ["-c", command], {
    cwd: project.dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { code, stdout, stderr } = await collectOutput(child).done;
  return { command, code, stdout, stderr, outputs: {} };
}

// One step of the GitHub workflow; the `${{ }}` of the Action's step evaluated from the job's
// variables (github.NAME is GITHUB_NAME) and the outputs of the steps before.
async function githubStep(
  project: E2eProject,
  step: Step,
  env: Record<string, string>,
  outputs: Record<string, Record<string, string>>,
): Promise<ShellResult> {
  if (step.kind === "script") {
    expect(step.script, "a GitHub expression in a script: pass it in env").not.toContain("${{");
    const result = await runBashStep(step.script, project.dir, env);
    return { command: step.script, ...result };
  }
  const lookup = (path: string): string | undefined => {
    const [scope, name, kind, output, ...rest] = path.split(".");
    if (scope === "github" && name !== undefined && kind === undefined) {
      return env[`GITHUB_${name.toUpperCase()}`];
    }
    if (scope === "steps" && name !== undefined && kind === "outputs" && output && rest.length === 0) {
      return outputs[name]?.[output];
    }
    return undefined;
  };
  const stepEnv = { ...env };
  for (const [name, value] of Object.entries(step.env)) stepEnv[name] = evaluate(value, lookup);
  const inputs: Record<string, string> = {};
  for (const [name, value] of Object.entries(step.with)) inputs[name] = evaluate(String(value), lookup);
  const result = await runAction(inputs, stepEnv, project.dir);
  return { command: `uses taskaccess: ${JSON.stringify(inputs)}`, ...result, outputs: result.actionOutputs };
}

let project: E2eProject | undefined;
afterEach(async () => {
  await project?.close();
  project = undefined;
});

// A checkout with the documented task file and a scripts/deploy.sh that puts the release with the
// JS SDK (the e2e fixture), then every documented step in order.
async function runDocumented(
  workflow: Workflow,
  ciEnv: (dir: string) => Record<string, string>,
  steps: string[],
) {
  project = await startProject(docFile("taskaccess.yaml"));
  const current = project;
  mkdirSync(join(current.dir, "scripts"));
  writeFileSync(
    join(current.dir, "scripts/deploy.sh"),
    `#!/bin/sh\nexec "${process.execPath}" "${SDK_CHILD}" "$DEPLOY_OUT" "$1"\n`,
  );
  chmodSync(join(current.dir, "scripts/deploy.sh"), 0o755);
  const deployOut = current.path("deploy");
  const env = current.env({
    ...workflow.env,
    ...ciEnv(current.dir),
    PATH: `${join(REPO_ROOT, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    DEPLOY_OUT: deployOut,
  });
  expect(workflow.steps.map(describeStep)).toEqual(steps);
  const results: ShellResult[] = [];
  const outputs: Record<string, Record<string, string>> = {};
  for (const step of workflow.steps) {
    const result =
      workflow.provider === "github"
        ? await githubStep(current, step, env, outputs)
        : await sh(current, step.kind === "script" ? step.script : "", env);
    expect(result.code, `${result.command}\n${result.stderr}`).toBe(0);
    if (step.id !== undefined) outputs[step.id] = result.outputs;
    results.push(result);
  }
  const deploy = JSON.parse(readFileSync(deployOut, "utf8")) as {
    identity: { Arn?: string };
    allowed: { ok: boolean };
    denied: { ok: boolean };
    envNames: string[];
  };
  const logPath = join(current.dir, workflow.env.TASKACCESS_LOG ?? "");
  return { project: current, results, outputs, deploy, records: readLog(logPath) };
}

// A step as the tests list them: `taskaccess <command>` for each line that runs taskaccess, else
// the Action, else the step's id.
function describeStep(step: Step): string {
  if (step.kind === "action") return "uses: OWNER/taskaccess@COMMIT";
  const lines = taskaccessLines([step.script]).map((line) => line.split(" ").slice(0, 2).join(" "));
  return lines.length > 0 ? lines.join(" && ") : `id: ${step.id ?? "?"}`;
}

// What every documented pipeline must leave: the deploy ran with the task's access only, the log
// names the CI run and the actor, and STS got the actor as SourceIdentity.
function expectCiSession(
  outcome: Awaited<ReturnType<typeof runDocumented>>,
  ci: { provider: string; runUrl: string; repository: string; ref: string; actor: string },
) {
  const { deploy, records, results } = outcome;
  expect(deploy.identity.Arn).toMatch(/assumed-role\/deployer\/ta-deploy-[a-z2-7]{12}$/);
  expect(deploy.allowed.ok).toBe(true);
  expect(deploy.denied.ok).toBe(false);
  expect(records.map((record) => record.event)).toEqual(FULL_SESSION);
  for (const record of records) expect((record as { ci?: unknown }).ci).toEqual(ci);
  const start = records[0] as { sourceIdentity?: string; params?: Record<string, string>; reason?: string };
  expect(start.sourceIdentity).toBe(ci.actor);
  expect(start.params).toEqual({ version: "1.2.3" });
  expect(start.reason).toBe("release v1.2.3");
  const issued = records[2] as { accessKeyId: string; sourceIdentity?: string };
  expect(issued.sourceIdentity).toBe(ci.actor);
  const session = outcome.project.sandbox.state.credentials.get(issued.accessKeyId);
  expect(session?.kind === "session" ? session.sourceIdentity : undefined).toBe(ci.actor);
  expect(results.at(-1)?.stdout).toMatch(/7 lines, chain intact; head [0-9a-f]{64}/);
}

describe("docs/ci.md", () => {
  it("the GitHub Actions workflow: its steps run, the Action's included, with a job summary and outputs", async () => {
    const workflow = githubWorkflow();
    expect(workflow.env.TASKACCESS_LOG).toBe("taskaccess-sessions.jsonl");
    const outcome = await runDocumented(
      workflow,
      (dir) => ({
        GITHUB_ACTIONS: "true",
        CI: "true",
        GITHUB_SERVER_URL: "https://github.com",
        GITHUB_REPOSITORY: "acme/shop",
        GITHUB_RUN_ID: "1658821493",
        GITHUB_REF: "refs/tags/v1.2.3",
        GITHUB_REF_NAME: "v1.2.3",
        GITHUB_ACTOR: "octocat",
        GITHUB_STEP_SUMMARY: join(dir, "step-summary.md"),
        GITHUB_WORKSPACE: dir,
        ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.actions.example/fake",
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "fake-request-token",
      }),
      ["id: release", "uses: OWNER/taskaccess@COMMIT", "taskaccess log"],
    );
    expectCiSession(outcome, {
      provider: "github-actions",
      runUrl: "https://github.com/acme/shop/actions/runs/1658821493",
      repository: "acme/shop",
      ref: "refs/tags/v1.2.3",
      actor: "octocat",
    });
    const session = (outcome.records[0] as { sessionName?: string }).sessionName;
    // The Action's outputs: the session, its exit code, and the head `log verify` prints.
    const head = /head ([0-9a-f]{64})/.exec(outcome.results.at(-1)?.stdout ?? "")?.[1];
    expect(outcome.outputs.release).toEqual({ version: "1.2.3" });
    expect(outcome.outputs.deploy).toEqual({
      session: outcome.records[0]?.session,
      "session-name": session,
      "exit-code": "0",
      revoked: "true",
      "log-head": head,
    });
    const lines = readFileSync(join(outcome.project.dir, "step-summary.md"), "utf8").split("\n");
    expect(lines).toEqual([
      ...SUMMARY_HEADER,
      expect.stringMatching(
        new RegExp(
          `^\\| deploy \\| \`${session}\` \\| octocat \\| 0 \\| \\d+\\.\\ds \\| yes \\| \`${head}\` \\|$`,
        ),
      ),
      "",
    ]);
    // taskaccess keeps the OIDC request variables, and the Action its inputs, from the deploy script.
    expect(outcome.deploy.envNames.filter((name) => name.startsWith("INPUT_"))).toEqual([]);
    expect(outcome.deploy.envNames).not.toContain("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    expect(outcome.deploy.envNames).not.toContain("ACTIONS_ID_TOKEN_REQUEST_URL");
  });

  it("the GitLab CI job: its taskaccess lines run, with no job summary", async () => {
    const job = gitlabJob();
    const outcome = await runDocumented(
      job,
      () => ({
        GITLAB_CI: "true",
        CI: "true",
        CI_JOB_URL: "https://gitlab.example.com/acme/shop/-/jobs/4711",
        CI_PIPELINE_URL: "https://gitlab.example.com/acme/shop/-/pipelines/815",
        CI_PROJECT_PATH: "acme/shop",
        CI_COMMIT_REF_NAME: "v1.2.3",
        CI_COMMIT_TAG: "v1.2.3",
        GITLAB_USER_LOGIN: "jdoe",
      }),
      ["taskaccess validate", "taskaccess run", "taskaccess log"],
    );
    expectCiSession(outcome, {
      provider: "gitlab-ci",
      runUrl: "https://gitlab.example.com/acme/shop/-/jobs/4711",
      repository: "acme/shop",
      ref: "v1.2.3",
      actor: "jdoe",
    });
    for (const result of outcome.results) expect(result.stdout).not.toContain("::error");
  });
});
