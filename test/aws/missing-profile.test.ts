// A profile that neither shared file defines is named as such, not answered with "use --profile".
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { missingProfileHint } from "../../src/aws/missing-profile.js";
import { makeProject, runCli } from "../helpers/run-cli.js";
import { VALID_TASK_FILE } from "../helpers/task-files.js";

describe("missingProfileHint", () => {
  it("says when the named profile is in neither file, and nothing when it is in one", async () => {
    const dir = makeProject({});
    const config = join(dir, "config");
    writeFileSync(config, "[profile dev]\nregion = eu-west-1\n");
    const env = { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: "/dev/null" };
    expect(await missingProfileHint("nosuch", env)).toMatch(
      /^profile "nosuch" \(--profile\) was not found in the config file .*config or the credentials file \/dev\/null/,
    );
    expect(await missingProfileHint(undefined, { ...env, AWS_PROFILE: "gone" })).toContain(
      'profile "gone" (AWS_PROFILE)',
    );
    expect(await missingProfileHint("dev", env)).toBeUndefined();
    expect(await missingProfileHint(undefined, env)).toBeUndefined();
  });
});

describe("taskaccess run --profile nosuch", () => {
  it("says the profile was not found", async () => {
    const cwd = makeProject({
      "taskaccess.yaml": VALID_TASK_FILE,
      config: "[default]\nregion = eu-west-1\n",
    });
    const env: Record<string, string | undefined> = {
      AWS_CONFIG_FILE: join(cwd, "config"),
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
      HOME: cwd,
    };
    for (const name of Object.keys(process.env))
      if (name.startsWith("AWS_") && !(name in env)) env[name] = undefined;
    const run = await runCli(
      ["run", "deploy", "--param", "version=1.0.0", "--profile", "nosuch", "--", "true"],
      {
        cwd,
        env,
      },
    );
    expect(run.stderr).toContain('profile "nosuch" (--profile) was not found in the config file');
    expect(run.stderr).not.toContain("set AWS_PROFILE or use --profile");
  });
});
