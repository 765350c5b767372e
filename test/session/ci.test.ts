// CI detection (src/session/ci.ts): each provider from the variables its own documentation lists,
// and the actor as the session's SourceIdentity, within STS's [\w+=,.@-]{2,64}.
import { describe, expect, it } from "vitest";
import { cryptoRandom } from "../../src/sandbox/ids.js";
import { detectCi } from "../../src/session/ci.js";
import { planRun } from "../../src/session/plan-run.js";
import { sanitizeSourceIdentity } from "../../src/session/session-id.js";
import { parseTaskFile } from "../../src/task/load-task-file.js";
import { VALID_TASK_FILE } from "../helpers/task-files.js";

/** What STS accepts as SourceIdentity (sourceIdentityType) and does not reserve. */
const STS_SOURCE_IDENTITY = /^[\w+=,.@-]{2,64}$/;

const GITHUB = {
  GITHUB_ACTIONS: "true",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_REPOSITORY: "acme/shop",
  GITHUB_RUN_ID: "1658821493",
  GITHUB_REF: "refs/heads/main",
  GITHUB_ACTOR: "octocat",
};
const GITLAB = {
  GITLAB_CI: "true",
  CI_JOB_URL: "https://gitlab.example.com/acme/shop/-/jobs/4711",
  CI_PIPELINE_URL: "https://gitlab.example.com/acme/shop/-/pipelines/815",
  CI_PROJECT_PATH: "acme/shop",
  CI_COMMIT_REF_NAME: "main",
  GITLAB_USER_LOGIN: "jdoe",
};
const BUILDKITE = {
  BUILDKITE: "true",
  BUILDKITE_BUILD_URL: "https://buildkite.com/acme/shop/builds/59034",
  BUILDKITE_REPO: "git@github.com:acme/shop.git",
  BUILDKITE_BRANCH: "main",
  BUILDKITE_BUILD_CREATOR: "Roger Smith",
  BUILDKITE_BUILD_CREATOR_EMAIL: "roger@example.com",
};
const CIRCLECI = {
  CIRCLECI: "true",
  CIRCLE_BUILD_URL: "https://circleci.com/gh/acme/shop/123",
  CIRCLE_PROJECT_USERNAME: "acme",
  CIRCLE_PROJECT_REPONAME: "shop",
  CIRCLE_REPOSITORY_URL: "git@github.com:acme/shop.git",
  CIRCLE_BRANCH: "main",
  CIRCLE_USERNAME: "circle-user",
};
const JENKINS = {
  JENKINS_URL: "https://jenkins.example.com/",
  BUILD_URL: "https://jenkins.example.com/job/shop/42/",
  BUILD_ID: "42",
  GIT_URL: "https://github.com/acme/shop.git",
  GIT_BRANCH: "origin/main",
  BUILD_USER_ID: "jenkins-admin",
};

describe("detectCi", () => {
  it("finds nothing outside CI, or when a provider's marker is not exactly true", () => {
    expect(detectCi({})).toBeUndefined();
    expect(detectCi({ CI: "true" })).toBeUndefined();
    expect(detectCi({ ...GITHUB, GITHUB_ACTIONS: "false" })).toBeUndefined();
    expect(detectCi({ ...GITLAB, GITLAB_CI: "" })).toBeUndefined();
  });

  it("GitHub Actions: the run URL from server, repository and run id", () => {
    expect(detectCi(GITHUB)).toEqual({
      provider: "github-actions",
      runUrl: "https://github.com/acme/shop/actions/runs/1658821493",
      repository: "acme/shop",
      ref: "refs/heads/main",
      actor: "octocat",
    });
    // GitHub Enterprise Server: the server URL is the enterprise host.
    expect(detectCi({ ...GITHUB, GITHUB_SERVER_URL: "https://ghe.example.com" })?.runUrl).toBe(
      "https://ghe.example.com/acme/shop/actions/runs/1658821493",
    );
    // No server URL: github.com. No run id: no URL, rather than a wrong one.
    expect(detectCi({ ...GITHUB, GITHUB_SERVER_URL: undefined })?.runUrl).toBe(
      "https://github.com/acme/shop/actions/runs/1658821493",
    );
    expect(detectCi({ ...GITHUB, GITHUB_RUN_ID: undefined })).toEqual({
      provider: "github-actions",
      repository: "acme/shop",
      ref: "refs/heads/main",
      actor: "octocat",
    });
  });

  it("GitLab CI: the job URL, else the pipeline URL", () => {
    expect(detectCi(GITLAB)).toEqual({
      provider: "gitlab-ci",
      runUrl: "https://gitlab.example.com/acme/shop/-/jobs/4711",
      repository: "acme/shop",
      ref: "main",
      actor: "jdoe",
    });
    expect(detectCi({ ...GITLAB, CI_JOB_URL: undefined })?.runUrl).toBe(
      "https://gitlab.example.com/acme/shop/-/pipelines/815",
    );
  });

  it("Buildkite: the creator's e-mail, else name; the tag when there is no branch", () => {
    expect(detectCi(BUILDKITE)).toEqual({
      provider: "buildkite",
      runUrl: "https://buildkite.com/acme/shop/builds/59034",
      repository: "git@github.com:acme/shop.git",
      ref: "main",
      actor: "roger@example.com",
    });
    const byName = detectCi({
      ...BUILDKITE,
      BUILDKITE_BUILD_CREATOR_EMAIL: undefined,
      BUILDKITE_BRANCH: undefined,
      BUILDKITE_TAG: "v1.2.3",
    });
    expect(byName).toMatchObject({ actor: "Roger Smith", ref: "v1.2.3" });
  });

  it("CircleCI: owner/name as the repository, the tag when there is no branch", () => {
    expect(detectCi(CIRCLECI)).toEqual({
      provider: "circleci",
      runUrl: "https://circleci.com/gh/acme/shop/123",
      repository: "acme/shop",
      ref: "main",
      actor: "circle-user",
    });
    expect(
      detectCi({
        ...CIRCLECI,
        CIRCLE_PROJECT_USERNAME: undefined,
        CIRCLE_BRANCH: undefined,
        CIRCLE_TAG: "v2",
      }),
    ).toMatchObject({ repository: "shop", ref: "v2" });
  });

  it("Jenkins: BUILD_URL, the Git plugin's GIT_URL and branch, BRANCH_NAME in multibranch jobs", () => {
    expect(detectCi(JENKINS)).toEqual({
      provider: "jenkins",
      runUrl: "https://jenkins.example.com/job/shop/42/",
      repository: "https://github.com/acme/shop.git",
      ref: "origin/main",
      actor: "jenkins-admin",
    });
    expect(detectCi({ ...JENKINS, BRANCH_NAME: "PR-24" })?.ref).toBe("PR-24");
    // JENKINS_URL is unset when the Jenkins URL is not configured; JENKINS_HOME still says Jenkins.
    expect(detectCi({ JENKINS_HOME: "/var/jenkins_home", BUILD_ID: "7", BUILD_USER_ID: "ops" })).toEqual({
      provider: "jenkins",
      actor: "ops",
    });
    // A machine that merely has Jenkins installed is not a build.
    expect(detectCi({ JENKINS_HOME: "/var/jenkins_home" })).toBeUndefined();
  });

  it("leaves blank variables out and never records a token in a clone URL", () => {
    expect(detectCi({ GITLAB_CI: "true", GITLAB_USER_LOGIN: "  ", CI_PROJECT_PATH: "" })).toEqual({
      provider: "gitlab-ci",
    });
    expect(
      detectCi({ ...JENKINS, GIT_URL: "https://x-access-token:ghs_SECRET@github.com/acme/shop.git" })
        ?.repository,
    ).toBe("https://github.com/acme/shop.git");
    expect(
      detectCi({ ...BUILDKITE, BUILDKITE_REPO: "https://user:pass@bitbucket.org/acme/shop.git" })?.repository,
    ).toBe("https://bitbucket.org/acme/shop.git");
  });

  it("takes the first provider in the documented order when several claim the run", () => {
    expect(detectCi({ ...JENKINS, ...CIRCLECI, ...BUILDKITE, ...GITLAB, ...GITHUB })?.provider).toBe(
      "github-actions",
    );
    expect(detectCi({ ...JENKINS, ...CIRCLECI, ...BUILDKITE, ...GITLAB })?.provider).toBe("gitlab-ci");
    expect(detectCi({ ...JENKINS, ...CIRCLECI, ...BUILDKITE })?.provider).toBe("buildkite");
    expect(detectCi({ ...JENKINS, ...CIRCLECI })?.provider).toBe("circleci");
  });
});

describe("the CI actor as SourceIdentity", () => {
  it.each([
    ["octocat", "octocat"],
    ["dependabot[bot]", "dependabot_bot_"],
    ["roger@example.com", "roger@example.com"],
    ["Roger Smith", "Roger_Smith"],
    ["José", "Jos_"],
    ["aws:sneaky", "aws_sneaky"],
    ["a".repeat(100), "a".repeat(64)],
  ])("%j becomes %j", (actor, expected) => {
    const identity = sanitizeSourceIdentity(actor);
    expect(identity).toBe(expected);
    expect(identity).toMatch(STS_SOURCE_IDENTITY);
    expect(identity?.toLowerCase().startsWith("aws:")).toBe(false);
  });
  it("is left out when too little of it is left", () => {
    expect(sanitizeSourceIdentity("x")).toBeUndefined();
    expect(sanitizeSourceIdentity("")).toBeUndefined();
  });

  const taskFile = parseTaskFile("taskaccess.yaml", VALID_TASK_FILE);
  const plan = (env: Record<string, string | undefined>, localUser = "local-user") =>
    planRun(taskFile, {
      taskName: "deploy",
      params: { version: "1.2.3" },
      command: ["true"],
      nested: false,
      env,
      localUser,
      random: cryptoRandom,
    });

  it.each([
    ["GitHub Actions", GITHUB, "octocat"],
    ["GitLab CI", GITLAB, "jdoe"],
    ["Buildkite", BUILDKITE, "roger@example.com"],
    ["CircleCI", CIRCLECI, "circle-user"],
    ["Jenkins", JENKINS, "jenkins-admin"],
  ])("a %s run plans the actor as SourceIdentity and records the CI run", async (_name, env, actor) => {
    const planned = await plan(env);
    expect(planned.sourceIdentity).toBe(actor);
    expect(planned.ci?.actor).toBe(actor);
  });
  it("falls back to the local user when the CI run names no actor, and outside CI", async () => {
    expect((await plan({ ...GITHUB, GITHUB_ACTOR: undefined })).sourceIdentity).toBe("local-user");
    expect((await plan({})).sourceIdentity).toBe("local-user");
    expect((await plan({}, "me")).ci).toBeUndefined();
    expect((await plan({ ...GITHUB, GITHUB_ACTOR: "dependabot[bot]" })).sourceIdentity).toBe(
      "dependabot_bot_",
    );
  });
});
