import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYER, type E2eProject, RECORD, readLog, readRecorded, startProject } from "./helpers.js";

// Issue 13 through `run`: a task whose grants would let the session undo its own revocation is
// refused before anything is issued; the same task, acknowledged with a reason, runs with a
// warning, and the reason is in the session's record.

const TASKS = `version: 1
region: eu-west-1
tasks:
  undo:
    description: A task that could delete other sessions' revoke policies
    role: ${DEPLOYER}
    allow:
      - actions: [iam:DeleteRolePolicy]
        resources: ["${DEPLOYER}"]
  undo-acknowledged:
    description: The same, acknowledged
    role: ${DEPLOYER}
    acknowledge: { escape-role-policy: "SEC-42: the rotation job, reviewed" }
    allow:
      - actions: [iam:DeleteRolePolicy]
        resources: ["${DEPLOYER}"]
`;

let project: E2eProject;
beforeAll(async () => {
  project = await startProject(TASKS);
});
afterAll(async () => {
  await project?.close();
});

describe("escape findings when the task runs", () => {
  it("refuse a task that may delete its role's inline policies, before anything is issued", async () => {
    const before = project.sandbox.state.credentials.size;
    const result = await project.run({
      task: "undo",
      params: {},
      command: ["sh", RECORD, project.path("undo")],
    });
    expect(result.code).toBe(65);
    expect(result.stderr).toContain(
      'error: task "undo" is refused: 1 error finding, first: escape-role-policy: "iam:DeleteRolePolicy" allows iam:DeleteRolePolicy: it can delete its own and other sessions\' revoke policies',
    );
    expect(project.sandbox.state.credentials.size).toBe(before);
  });

  it("run an acknowledged one with a warning, and record the reason in session.start", async () => {
    const out = project.path("acknowledged");
    const result = await project.run({ task: "undo-acknowledged", params: {}, command: ["sh", RECORD, out] });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /warning\[escape-role-policy\].*\(acknowledged: SEC-42: the rotation job, reviewed\)/,
    );
    const recorded = readRecorded(out);
    const start = readLog(project.logPath).find(
      (r) => r.session === recorded.session && r.event === "session.start",
    );
    expect(start).toMatchObject({
      acknowledged: { "escape-role-policy": "SEC-42: the rotation job, reviewed" },
    });
  });
});
