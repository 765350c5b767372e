import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { World } from "../../src/sandbox/world.js";
import { type E2eProject, FIXTURES, runTaskaccess, startProject } from "./helpers.js";
import {
  assertUserCanRun,
  handOver,
  type RunAs,
  restoreTraversal,
  runAsVariants,
  startAs,
} from "./unprivileged.js";

// The command is the adversary, where this round added something to attack (issues 11 and 12):
// on the role-session path the task role itself may write its inline policies, and the record is
// in an S3 bucket. A command given that role's session tries to widen the role, to remove its
// revocation reserve, to mint a session of the role outside the run, and to plant, overwrite and
// delete log records; every attempt must be refused by AWS, as root and as an unprivileged user.

const A = "111111111111";
const B = "222222222222";
const ROLE = `arn:aws:iam::${B}:role/deployer`;
const BUCKET = "session-log";
const TAMPER = join(FIXTURES, "hostile", "tamper.mjs");
const REVOKE_ACTIONS = [
  "iam:GetRole",
  "iam:ListRolePolicies",
  "iam:GetRolePolicy",
  "iam:PutRolePolicy",
  "iam:DeleteRolePolicy",
];
const trust = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${A}:root` },
      Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
    },
  ],
};
const allow = (Action: string[] | string, Resource: string[] | string) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action, Resource }],
});

function world(): World {
  return {
    accounts: [
      {
        id: A,
        users: [
          {
            name: "base",
            policies: {
              assume: allow(
                ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                "arn:aws:iam::*:role/*",
              ),
              log: {
                Version: "2012-10-17",
                Statement: [
                  {
                    Effect: "Allow",
                    Action: ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
                    Resource: `arn:aws:s3:::${BUCKET}/ci/*`,
                  },
                  {
                    Effect: "Allow",
                    Action: ["s3:ListBucket", "s3:ListBucketVersions"],
                    Resource: `arn:aws:s3:::${BUCKET}`,
                  },
                ],
              },
            },
          },
        ],
        buckets: [{ name: BUCKET, versioning: true }],
      },
      {
        id: B,
        policies: [{ name: "task-role-boundary", document: allow(["s3:*", ...REVOKE_ACTIONS], "*") }],
        roles: [
          {
            name: "deployer",
            trust,
            permissionsBoundary: `arn:aws:iam::${B}:policy/task-role-boundary`,
            policies: {
              releases: allow("s3:*", ["arn:aws:s3:::releases", "arn:aws:s3:::releases/*"]),
              "self-revoke": allow(REVOKE_ACTIONS, ROLE),
            },
          },
        ],
        buckets: ["releases"],
      },
    ],
  };
}

const TASKS = `version: 1
region: eu-west-1
tasks:
  deploy:
    description: Upload one release, in the workload account
    role: ${ROLE}
    duration: 15m
    allow:
      - actions: [s3:PutObject]
        resources: ["arn:aws:s3:::releases/app/*"]
`;

const variants = runAsVariants();
afterAll(() => {
  restoreTraversal();
});

describe.each(variants)("a hostile command in another account's role, on an S3 log, $label", (as: RunAs) => {
  let project: E2eProject;
  beforeAll(async () => {
    project = await startProject(TASKS, { world: world() });
    handOver(project, as);
    assertUserCanRun(as);
  });
  afterAll(async () => {
    await project?.close();
  });

  it("is refused every way out: widening the role, removing its reserve, a fresh session, the log", async () => {
    const out = project.path("tamper");
    const run = startAs(project, as, {
      log: null,
      params: {},
      env: { TASKACCESS_LOG: `s3://${BUCKET}/ci/` },
      command: [process.execPath, TAMPER, out, ROLE, BUCKET, "ci/"],
    });
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    const attempts = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { attempt: string; ok: boolean; code?: string });
    expect(attempts).toEqual(
      [
        "widen the role",
        "remove the revocation reserve",
        "mint a session of the role",
        "plant a log record",
        "overwrite its own session.start",
        "delete its own session.start",
      ].map((attempt) => ({ attempt, ok: false, code: "AccessDenied" })),
    );
    const role = project.sandbox.state.findRole(B, "deployer");
    expect([...(role?.inline.keys() ?? [])]).not.toContain("escape");
    // The record is whole: every session's chain, no record planted, overwritten or deleted.
    const verify = await runTaskaccess(project, ["log", "verify", "--log", `s3://${BUCKET}/ci/`]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(
      /: 1 sessions, \d+ records, every chain intact, no record overwritten or deleted\n$/,
    );
    expect(result.stderr).toMatch(/access revoked \(AWS refused the credentials/);
  });
});
