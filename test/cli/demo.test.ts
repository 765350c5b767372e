// `taskaccess demo` (what `npm run demo` runs) as a user runs it: a real process, no AWS setup.
import { describe, expect, it } from "vitest";
import { FULL_SESSION } from "../e2e/helpers.js";
import { runCli } from "../helpers/run-cli.js";

describe("taskaccess demo", () => {
  it("runs the example task on the embedded sandbox and proves the access ended with it", async () => {
    // No AWS variables at all: the demo must not need, or touch, the user's own AWS setup.
    const env: Record<string, string | undefined> = {};
    for (const name of Object.keys(process.env)) if (name.startsWith("AWS_")) env[name] = undefined;
    const result = await runCli(["demo"], { env });
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(
      /\[child\] I am arn:aws:sts::123456789012:assumed-role\/deployer\/ta-deploy-[a-z0-9]+\n/,
    );
    expect(out).toContain("[child] PUT s3://releases/app/1.4.2/app.tar.gz -> 200 OK\n");
    expect(out).toMatch(
      /\[child\] PUT s3:\/\/releases\/app\/9\.9\.9\/app\.tar\.gz -> 403 AccessDenied: .*no session policy allows/,
    );
    // The sandbox's 2-3 s propagation delay is the window between the deny and the refusal.
    const summary =
      /taskaccess: task deploy, session ta-deploy-[a-z0-9]+, exit 0, [\d.]+s, access revoked \(AWS refused the credentials (\d+\.\d) s after the deny was written\)\n/.exec(
        out,
      );
    expect(summary, out).not.toBeNull();
    expect(Number(summary?.[1])).toBeGreaterThanOrEqual(1.9);
    expect(out).toContain(
      "like IAM, the sandbox applies a role-policy change 2-3 s after it is made (propagation)",
    );
    expect(out).toMatch(
      /after the task: the same credentials \(ASIA[A-Z0-9]{16}, .*-> 403 AccessDenied: .*explicit deny.*taskaccess-revoke-\d+-ta-deploy-/,
    );
    const events = [...out.matchAll(/^\s+\d+ ([a-z]+\.[a-z]+)\s/gm)].map((match) => match[1]);
    expect(events).toEqual(FULL_SESSION);
    expect(out).toMatch(/chain intact, head [0-9a-f]{64}/);
    expect(out.trimEnd().split("\n").at(-1)).toMatch(
      /^✓ the child got exactly the task's access, and lost it when the task ended: AWS refused the credentials \d+\.\d s after the deny was written \(propagation\); the log proves it\.$/,
    );
  });
});
