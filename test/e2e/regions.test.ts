import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type E2eProject,
  expectRevoked,
  RECORD,
  readLog,
  readRecorded,
  runTaskaccess,
  sessionCredentials,
  sessionRecords,
  startProject,
  TASK_FILE,
  waitForFile,
  waitForLogRecord,
} from "./helpers.js";

// Regions as users configure them (issue 11): a task file without `region`, the region only in
// AWS_DEFAULT_REGION (which the AWS CLI and boto3 read and the JS SDK does not), or nowhere; and
// `revoke --pending`, which needs no region at all, the role's partition saying where IAM is.

let project: E2eProject;
beforeAll(async () => {
  project = await startProject(TASK_FILE.replace("region: eu-west-1\n", ""));
});
afterAll(async () => {
  await project?.close();
});

describe("regions", () => {
  it("takes the region from AWS_DEFAULT_REGION when nothing else sets one", async () => {
    const out = project.path("default-region");
    const result = await project.run({
      command: ["sh", RECORD, out],
      env: { AWS_REGION: undefined, AWS_DEFAULT_REGION: "eu-west-1" },
    });
    expect(result.code, result.stderr).toBe(0);
    await expectRevoked(project, sessionCredentials(readRecorded(out)));
  });

  it("a region set nowhere is a usage error with a hint, before anything is logged or asked", async () => {
    const lines = readLog(project.logPath).length;
    const result = await project.run({
      command: ["true"],
      env: { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined },
    });
    expect(result.code, result.stderr).toBe(64);
    expect(result.stderr).toMatch(/^error: no AWS region: /m);
    expect(result.stderr).toContain(
      "set region in the task file, pass --region, or set AWS_REGION or AWS_DEFAULT_REGION",
    );
    expect(readLog(project.logPath)).toHaveLength(lines);
  });

  it("revoke --pending needs no region: the role's partition says which IAM endpoint", async () => {
    const out = project.path("killed");
    const running = project.start({ command: ["sh", RECORD, out, "sleep", "60"] });
    await waitForFile(out, 15_000, running);
    const recorded = readRecorded(out);
    await waitForLogRecord(
      project.logPath,
      (record) => record.session === recorded.session && record.event === "process.start",
      running,
    );
    running.child.kill("SIGKILL");
    await running.done;
    const result = await runTaskaccess(project, ["revoke", "--pending", "--log", project.logPath], {
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(sessionRecords(readLog(project.logPath), recorded.session).at(-1)).toMatchObject({
      event: "session.revoked",
    });
    await expectRevoked(project, sessionCredentials(recorded));
  });
});
