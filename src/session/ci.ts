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
  if (env.GITHUB_ACTIONS === "true") {
    const server = env.GITHUB_SERVER_URL ?? "https://github.com";
    return {
      provider: "github-actions",
      runUrl:
        env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
          ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
          : undefined,
      repository: env.GITHUB_REPOSITORY,
      ref: env.GITHUB_REF,
      actor: env.GITHUB_ACTOR,
    };
  }
  if (env.GITLAB_CI === "true") {
    return {
      provider: "gitlab-ci",
      runUrl: env.CI_JOB_URL ?? env.CI_PIPELINE_URL,
      repository: env.CI_PROJECT_PATH,
      ref: env.CI_COMMIT_REF_NAME,
      actor: env.GITLAB_USER_LOGIN,
    };
  }
  if (env.BUILDKITE === "true") {
    return {
      provider: "buildkite",
      runUrl: env.BUILDKITE_BUILD_URL,
      repository: env.BUILDKITE_REPO,
      ref: env.BUILDKITE_BRANCH,
      actor: env.BUILDKITE_BUILD_CREATOR_EMAIL ?? env.BUILDKITE_BUILD_CREATOR,
    };
  }
  if (env.CIRCLECI === "true") {
    return {
      provider: "circleci",
      runUrl: env.CIRCLE_BUILD_URL,
      repository: env.CIRCLE_PROJECT_REPONAME,
      ref: env.CIRCLE_BRANCH,
      actor: env.CIRCLE_USERNAME,
    };
  }
  if (env.JENKINS_URL && env.BUILD_URL) {
    return { provider: "jenkins", runUrl: env.BUILD_URL, ref: env.GIT_BRANCH, actor: env.BUILD_USER_ID };
  }
  return undefined;
}
