export interface CiRun {
  provider: "github-actions" | "gitlab-ci" | "buildkite" | "circleci" | "jenkins";
  runUrl?: string | undefined;
  repository?: string | undefined;
  ref?: string | undefined;
  actor?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

// Recognises the CI system from its documented variables, so the log can link to the run.
export function detectCi(env: Env): CiRun | undefined {
  // The first provider that matches wins; a field whose variables are unset or blank is left out.
  // plan-run.ts makes `actor` the session's SourceIdentity. Sources: the link above each provider.
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  // GitHub Actions, "Variables reference" / "Default environment variables":
  // https://docs.github.com/en/actions/reference/workflows-and-actions/variables
  if (get("GITHUB_ACTIONS") === "true") {
    const server = get("GITHUB_SERVER_URL") ?? "https://github.com";
    const repository = get("GITHUB_REPOSITORY");
    const runId = get("GITHUB_RUN_ID");
    return compact({
      provider: "github-actions",
      runUrl: repository && runId ? `${server}/${repository}/actions/runs/${runId}` : undefined,
      repository,
      ref: get("GITHUB_REF"),
      // "The name of the person or app that initiated the workflow", e.g. octocat.
      actor: get("GITHUB_ACTOR"),
    });
  }
  // GitLab CI/CD, "Predefined CI/CD variables reference":
  // https://docs.gitlab.com/ci/variables/predefined_variables/
  if (get("GITLAB_CI") === "true") {
    return compact({
      provider: "gitlab-ci",
      runUrl: get("CI_JOB_URL") ?? get("CI_PIPELINE_URL"),
      repository: get("CI_PROJECT_PATH"),
      ref: get("CI_COMMIT_REF_NAME"),
      // The user who started the pipeline, or the manual job.
      actor: get("GITLAB_USER_LOGIN"),
    });
  }
  // Buildkite, "Environment variables": https://buildkite.com/docs/pipelines/environment_variables
  if (get("BUILDKITE") === "true") {
    return compact({
      provider: "buildkite",
      runUrl: get("BUILDKITE_BUILD_URL"),
      repository: withoutUserInfo(get("BUILDKITE_REPO")),
      ref: get("BUILDKITE_BRANCH") ?? get("BUILDKITE_TAG"),
      // The creator's e-mail is unique and fits STS's alphabet; the name ("Roger Smith") may not.
      actor: get("BUILDKITE_BUILD_CREATOR_EMAIL") ?? get("BUILDKITE_BUILD_CREATOR"),
    });
  }
  // CircleCI, "Project values and variables": https://circleci.com/docs/reference/variables/
  if (get("CIRCLECI") === "true") {
    const owner = get("CIRCLE_PROJECT_USERNAME");
    const name = get("CIRCLE_PROJECT_REPONAME");
    return compact({
      provider: "circleci",
      runUrl: get("CIRCLE_BUILD_URL"),
      repository:
        owner && name ? `${owner}/${name}` : (name ?? withoutUserInfo(get("CIRCLE_REPOSITORY_URL"))),
      ref: get("CIRCLE_BRANCH") ?? get("CIRCLE_TAG"),
      actor: get("CIRCLE_USERNAME"),
    });
  }
  // Jenkins, "Using environment variables" (JENKINS_URL, BUILD_URL, BUILD_ID; BRANCH_NAME in
  // multibranch pipelines): https://www.jenkins.io/doc/book/pipeline/jenkinsfile/#using-environment-variables
  // GIT_URL and GIT_BRANCH come from the Git plugin (https://plugins.jenkins.io/git/), BUILD_USER_ID
  // from the Build User Vars plugin (https://plugins.jenkins.io/build-user-vars-plugin/).
  // JENKINS_URL is set only when the Jenkins URL is configured, so JENKINS_HOME counts as well.
  if ((get("JENKINS_URL") || get("JENKINS_HOME")) && (get("BUILD_URL") || get("BUILD_ID"))) {
    return compact({
      provider: "jenkins",
      runUrl: get("BUILD_URL"),
      repository: withoutUserInfo(get("GIT_URL")),
      ref: get("BRANCH_NAME") ?? get("GIT_BRANCH"),
      actor: get("BUILD_USER_ID"),
    });
  }
  return undefined;
}

// Whether this is a CI job at all: a provider detectCi knows, or the `CI` variable most CI systems
// set (GitHub, GitLab, CircleCI, Buildkite, Travis, …) to anything but empty, 0 or false.
export function runsInCi(env: Env): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return detectCi(env) !== undefined || (ci !== undefined && ci !== "" && ci !== "0" && ci !== "false");
}

// Clone URLs may carry a token (https://x-access-token:TOKEN@host/…); the log must not.
function withoutUserInfo(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}

function compact(run: CiRun): CiRun {
  const clean: CiRun = { provider: run.provider };
  for (const key of ["runUrl", "repository", "ref", "actor"] as const) {
    const value = run[key];
    if (value !== undefined) clean[key] = value;
  }
  return clean;
}
