import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT, type E2eProject, FIXTURES, readJson, startProject } from "./helpers.js";

// The AWS CLI, boto3 and the JS SDK read the shared credentials file before the container endpoint
// (and before a profile chosen by AWS_PROFILE, the [default] profile is what they fall back to):
// a user's own [default] profile must never become the command's identity, in any delivery mode,
// with or without isolation. Here the [default] profile holds the base identity's own keys, so a
// fall-back shows as user/base instead of the task's assumed role.

const PYTHON = findPythonWithBoto3();
const CLIENTS = {
  "AWS CLI": (out: string) => ["sh", join(FIXTURES, "whoami-cli.sh"), out],
  boto3: (out: string) => [PYTHON, join(FIXTURES, "whoami.py"), out],
  "JS SDK": (out: string) => [process.execPath, join(FIXTURES, "whoami.mjs"), out],
} as const;

let project: E2eProject;
beforeAll(async () => {
  project = await startProject();
  mkdirSync(join(project.dir, ".aws"), { mode: 0o700 });
  writeFileSync(
    join(project.dir, ".aws", "credentials"),
    `[default]\naws_access_key_id = ${project.base.accessKeyId}\naws_secret_access_key = ${project.base.secretAccessKey}\n`,
  );
  writeFileSync(join(project.dir, ".aws", "config"), "[default]\nregion = eu-west-1\n");
});
afterAll(async () => {
  await project?.close();
});

const cases = (["env", "server", "file"] as const).flatMap((mode) =>
  (Object.keys(CLIENTS) as Array<keyof typeof CLIENTS>).flatMap((client) => [
    { mode, client, isolation: "none" },
    ...(mode === "server" ? [{ mode, client, isolation: "auto" }] : []),
  ]),
);

describe("a [default] profile in ~/.aws never becomes the command's identity", () => {
  it.each(cases)(
    "--credentials $mode, $client, isolation $isolation",
    async ({ mode, client, isolation }) => {
      const out = project.path(`whoami-${mode}-${client.replace(/\W/g, "")}`);
      const result = await project.run({
        command: CLIENTS[client](out),
        options: ["--credentials", mode, "--isolation", isolation],
        // taskaccess itself gets the base keys from its environment; the shared files are the user's.
        env: { AWS_SHARED_CREDENTIALS_FILE: undefined, AWS_CONFIG_FILE: undefined },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(readJson<{ arn?: string; error?: string }>(out)).toEqual({
        arn: expect.stringMatching(
          new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-deploy-[a-z2-7]{12}$`),
        ),
      });
    },
  );
});

// The python3 that has boto3: the first on PATH, else Debian's (where .ci/run installs python3-boto3).
function findPythonWithBoto3(): string {
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      execFileSync(python, ["-c", "import boto3"], { stdio: "ignore" });
      return python;
    } catch {
      // try the next
    }
  }
  throw new Error("no python3 with boto3: install python3-boto3 (.ci/run does)");
}
