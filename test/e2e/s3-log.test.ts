import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, s3Client, worldWithAdmin } from "../helpers/sandbox.js";
import {
  type E2eProject,
  expectRevoked,
  expectWorking,
  RECORD,
  readRecorded,
  runTaskaccess,
  sessionCredentials,
  startProject,
  waitForFile,
} from "./helpers.js";

// The session log off the host (issue 12): three runners with their own state directories append
// to one S3 log; any machine reads, verifies and revokes from it. A runner killed mid-task, its
// state directory gone, is revoked from elsewhere at once by `revoke SESSION`, and by
// `revoke --pending` once its lease has lapsed.

const BUCKET = "session-log";
const LOG = `s3://${BUCKET}/ci/`;

// The built-in world, an admin, and a base identity that may add records to the log (and read it).
function world() {
  const result = worldWithAdmin();
  const base = result.accounts[0]?.users?.find((user) => user.name === "base");
  if (!base?.policies) throw new Error("no user base");
  base.policies["session-log"] = {
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
  };
  return result;
}

let project: E2eProject;
const runners: string[] = [];
beforeAll(async () => {
  project = await startProject(undefined, { world: world() });
  const admin = s3Client(project.sandbox, ADMIN);
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await admin.send(
    new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: "Enabled" } }),
  );
});
afterAll(async () => {
  await project?.close();
  for (const dir of runners) rmSync(dir, { recursive: true, force: true });
});

// A machine of its own: its own HOME and state directory, the S3 log in TASKACCESS_LOG.
function runner(): { HOME: string; XDG_STATE_HOME: string; TASKACCESS_LOG: string } {
  const home = mkdtempSync(join(tmpdir(), "taskaccess-runner-"));
  runners.push(home);
  return { HOME: home, XDG_STATE_HOME: join(home, "state"), TASKACCESS_LOG: LOG };
}

const keys = async () => {
  const listed = await s3Client(project.sandbox, ADMIN).send(
    new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "ci/" }),
  );
  return (listed.Contents ?? []).map((object) => object.Key ?? "");
};

describe("an S3 session log shared by three runners", () => {
  const sessions: string[] = [];

  it("takes every runner's records, one object each, and any machine lists and verifies them", async () => {
    for (let index = 0; index < 3; index++) {
      const out = project.path(`runner-${index}`);
      const result = await project.run({ log: null, env: runner(), command: ["sh", RECORD, out] });
      expect(result.code, result.stderr).toBe(0);
      const recorded = readRecorded(out);
      sessions.push(recorded.session);
      await expectRevoked(project, sessionCredentials(recorded));
    }
    const written = await keys();
    for (const session of sessions) {
      const mine = written.filter((key) => key.includes(`/${session}/`));
      // Seven records, and the bundle the run wrote at session.end for readers (s3-bundle.ts).
      expect(mine.map((key) => key.replace(/^.*\//, ""))).toEqual([
        ...["000001", "000002", "000003", "000004", "000005", "000006", "000007"].map((seq) => `${seq}.json`),
        "bundle.json",
      ]);
      expect(mine[0]).toMatch(new RegExp(`^ci/v1/\\d{4}/\\d{2}/\\d{2}/${session}/`));
    }
    const elsewhere = runner();
    const list = await runTaskaccess(project, ["log", "--json"], elsewhere);
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as {
      log: string;
      sessions: Array<{ session: string; status: string }>;
    };
    expect(listed.log).toBe(LOG);
    expect(listed.sessions.map((s) => [s.session, s.status])).toEqual(sessions.map((s) => [s, "yes"]));
    const verify = await runTaskaccess(project, ["log", "verify"], elsewhere);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toBe(
      `✓ ${LOG}: 3 sessions, 21 records, every chain intact, no record overwritten or deleted\n`,
    );
  });

  it("log verify reports an overwritten record and a deleted one", async () => {
    const written = await keys();
    const [first, second] = sessions;
    const overwritten = written.find((key) => key.includes(`/${first}/`) && key.endsWith("000005.json"));
    const deleted = written.find((key) => key.includes(`/${second}/`) && key.endsWith("000006.json"));
    if (!overwritten || !deleted) throw new Error("records not found");
    const admin = s3Client(project.sandbox, ADMIN);
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: overwritten, Body: '{"v":1}' }));
    await admin.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: deleted }));
    const verify = await runTaskaccess(project, ["log", "verify", "--json"], runner());
    expect(verify.code).toBe(1);
    const result = JSON.parse(verify.stdout) as {
      ok: boolean;
      problems: Array<{ key: string; kind: string }>;
    };
    expect(result.ok).toBe(false);
    // Named once each, where it happened; their first versions stand in the chain, which holds.
    // Problems come in key order, and session ids are random: compare them in key order too.
    const expected = [
      { key: overwritten, kind: "overwritten" },
      { key: deleted, kind: "deleted" },
    ].sort((a, b) => a.key.localeCompare(b.key));
    expect(result.problems).toEqual(expected.map((problem) => expect.objectContaining(problem)));
  });

  it("the command cannot add to, overwrite or delete the log: it never holds the base identity", async () => {
    const out = project.path("hostile-s3");
    const key = (await keys())[0] ?? "";
    const script = [
      `aws s3api put-object --bucket ${BUCKET} --key ci/v1/planted.json --body ${out}.body`,
      `aws s3api put-object --bucket ${BUCKET} --key ${key} --body ${out}.body`,
      `aws s3api delete-object --bucket ${BUCKET} --key ${key}`,
    ]
      .map((command) => `${command} >>${out}.err 2>&1; echo $? >> ${out}`)
      .join("; ");
    writeFileSync(`${out}.body`, "{}");
    const result = await project.run({ log: null, env: runner(), command: ["sh", "-c", script] });
    expect(result.code, result.stderr).toBe(0);
    // Each attempt was refused by S3 (the session policy allows only releases/app/1.2.3/*): the
    // AWS CLI's exit 255 and AccessDenied, three times.
    expect(readFileSync(out, "utf8").trim().split("\n")).toEqual(["255", "255", "255"]);
    const errors = readFileSync(`${out}.err`, "utf8");
    expect(errors.match(/An error occurred \(AccessDenied\)/g), errors).toHaveLength(3);
    expect(await keys()).not.toContain("ci/v1/planted.json");
    const verify = await runTaskaccess(project, ["log", "verify", "--json"], runner());
    const problems = (JSON.parse(verify.stdout) as { problems: Array<{ key: string }> }).problems;
    expect(problems.filter((problem) => problem.key === key)).toEqual([]);
  });

  it("an unwritable log stops the run before anything is issued or run", async () => {
    const out = project.path("unwritable");
    const env = { ...runner(), TASKACCESS_LOG: `s3://${BUCKET}/elsewhere/` };
    const before = project.sandbox.state.credentials.size;
    const result = await project.run({ log: null, env, command: ["sh", RECORD, out] });
    expect(result.code).toBe(70);
    expect(result.stderr).toMatch(
      /error: cannot write the session log, so nothing was run: could not write session\.start to the session log s3:\/\/session-log\/elsewhere\/: .*AccessDenied/,
    );
    expect(project.sandbox.state.credentials.size).toBe(before);
  });
});

describe("a runner killed mid-task, its state directory gone", () => {
  const killed = async () => {
    const env = { ...runner(), TASKACCESS_LEASE_SECONDS: "3" };
    const out = project.path("killed");
    const running = project.start({ log: null, env, command: ["sh", RECORD, out, "sleep", "60"] });
    await waitForFile(out, 15_000, running);
    const recorded = readRecorded(out);
    running.child.kill("SIGKILL");
    await running.done;
    rmSync(env.HOME, { recursive: true, force: true });
    return recorded;
  };

  it("is revoked at once by `revoke SESSION` on another machine", async () => {
    const recorded = await killed();
    await expectWorking(project, sessionCredentials(recorded), "before revoke");
    const revoke = await runTaskaccess(project, ["revoke", recorded.session], runner());
    expect(revoke.code, revoke.stderr).toBe(0);
    await expectRevoked(project, sessionCredentials(recorded), "after revoke SESSION elsewhere");
  });

  it("is revoked by `revoke --pending` elsewhere only once its lease has lapsed", async () => {
    const recorded = await killed();
    const elsewhere = runner();
    const early = await runTaskaccess(project, ["revoke", "--pending", "--json"], elsewhere);
    expect(early.code, early.stderr).toBe(0);
    expect(JSON.parse(early.stdout)).toMatchObject({ revoked: [] });
    const log = JSON.parse((await runTaskaccess(project, ["log", "--json"], elsewhere)).stdout) as {
      sessions: Array<{ session: string; status: string }>;
    };
    expect(log.sessions.find((s) => s.session === recorded.session)?.status).toBe("running");
    await expectWorking(project, sessionCredentials(recorded), "while its lease holds");

    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const status = JSON.parse((await runTaskaccess(project, ["log", "--json"], elsewhere)).stdout) as {
      sessions: Array<{ session: string; status: string }>;
    };
    expect(status.sessions.find((s) => s.session === recorded.session)?.status).toBe("ABANDONED");
    const late = await runTaskaccess(project, ["revoke", "--pending", "--json"], elsewhere);
    expect(late.code, late.stderr).toBe(0);
    expect(JSON.parse(late.stdout)).toMatchObject({
      revoked: [expect.objectContaining({ session: recorded.session })],
    });
    await expectRevoked(project, sessionCredentials(recorded), "after revoke --pending elsewhere");
  });
});

describe("records S3 would not take during a run", () => {
  it("are kept in the runner's spool, and sent by the job's last `revoke --pending` before it reads", async () => {
    const spoolLog = `s3://${BUCKET}/ci/spool-test/`;
    const machine = { ...runner(), TASKACCESS_LOG: spoolLog };
    // session.start, revocation.ready and credentials.issued get in; every later PutObject fails,
    // the SDK's retries included.
    project.sandbox.faults.set("s3:PutObject", ["ok", "ok", "ok", ...Array(60).fill("ServiceUnavailable")]);
    const run = await project.run({ log: null, env: machine, command: ["true"] });
    project.sandbox.faults.clear();
    expect(run.code, run.stderr).toBe(0);
    const spooled = run.stderr.match(/S3 did not take [a-z.]+ /g) ?? [];
    expect(spooled.sort()).toEqual(
      ["process.exit", "process.start", "session.end", "session.revoked"].map((e) => `S3 did not take ${e} `),
    );
    const session = /, session ta-deploy-([a-z0-9]{12}),/.exec(run.stderr)?.[1] ?? "not found";
    const inS3 = async () =>
      (await keys()).filter((key) => key.includes(`/${session}/`)).map((key) => key.replace(/^.*\//, ""));
    expect(await inS3(), run.stderr).toEqual(["000001.json", "000002.json", "000003.json"]);

    const pending = await runTaskaccess(project, ["revoke", "--pending"], machine);
    expect(pending.code, pending.stderr).toBe(0);
    expect(pending.stderr).toMatch(
      /^warning: sent 4 record\(s\) an earlier command had kept in .*\/spool\n$/,
    );
    expect(pending.stdout).toBe(
      `nothing to revoke: every unexpired session in ${spoolLog} is revoked or still running\n`,
    );
    expect(await inS3()).toEqual([1, 2, 3, 4, 5, 6, 7].map((seq) => `00000${seq}.json`));
    const verify = await runTaskaccess(project, ["log", "verify", "--log", spoolLog], runner());
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toBe(
      `✓ ${spoolLog}: 1 sessions, 7 records, every chain intact, no record overwritten or deleted\n`,
    );
  });
});

describe("an S3 prefix with no records", () => {
  it("is no log: a wrong prefix never reads as an empty log, nor verifies; --since and --pending find nothing", async () => {
    const wrong = `s3://${BUCKET}/ci-typo`;
    const machine = { ...runner(), TASKACCESS_LOG: wrong };
    const error = [
      `error: no session log at ${wrong}/: nothing under s3://${BUCKET}/ci-typo/v1/`,
      `  hint: check the bucket and prefix (\`aws s3 ls --recursive s3://${BUCKET}/ci-typo/v1/\`) in --log, TASKACCESS_LOG or the task file's \`log\`; a run writes its first record there before it asks STS for anything`,
      "",
    ].join("\n");
    for (const args of [
      ["log"],
      ["log", "verify"],
      ["log", "show", "7pxr26zvfker"],
      ["revoke", "7pxr26zvfker"],
    ]) {
      const result = await runTaskaccess(project, args, machine);
      expect(result.code, args.join(" ")).toBe(64);
      expect(result.stderr, args.join(" ")).toBe(error);
      expect(result.stdout, args.join(" ")).toBe("");
    }
    const since = await runTaskaccess(project, ["log", "--since", "1d", "--json"], machine);
    expect(since.code, since.stderr).toBe(0);
    expect((JSON.parse(since.stdout) as { sessions: unknown[] }).sessions).toEqual([]);
    const pending = await runTaskaccess(project, ["revoke", "--pending"], machine);
    expect(pending.code, pending.stderr).toBe(0);
    expect(pending.stdout).toBe(
      `nothing to revoke: every unexpired session in ${wrong}/ is revoked or still running\n`,
    );
  });
});
