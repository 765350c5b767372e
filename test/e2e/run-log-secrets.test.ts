import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifySessionLog } from "../../src/audit/verify-log.js";
import {
  ACCOUNT,
  type E2eProject,
  expectRevoked,
  lastLine,
  RECORD,
  type RunResult,
  readJson,
  readLog,
  readRecorded,
  runTaskaccess,
  SDK_CHILD,
  sessionCredentials,
  sessionRecords,
  startProject,
  summaryPattern,
  VERSION,
} from "./helpers.js";

// What the log and the output must never hold: a secret access key or a session token, whatever
// happened (a normal run, a failed revocation, a refused AssumeRole, a command that cannot start,
// all with --verbose), checked against every secret the sandbox ever issued. And the chain:
// an edited line is found and named.

let project: E2eProject;
const outputs: Array<{ what: string; result: RunResult }> = [];
/** What the SDK child wrote: its credentials, so a control for the scan. */
let sdkChildOut = "";

beforeAll(async () => {
  project = await startProject();
});
afterAll(async () => {
  await project.close();
});

const BASE_ARN = `arn:aws:iam::${ACCOUNT}:user/base`;

// Adds (or with undefined removes) an inline policy of user/base, for the failure paths.
function setBasePolicy(name: string, statement: Record<string, unknown> | undefined): void {
  const user = project.sandbox.state.users.get(BASE_ARN);
  if (!user) throw new Error("no user/base");
  if (statement === undefined) user.inline.delete(name);
  else user.inline.set(name, JSON.stringify({ Version: "2012-10-17", Statement: [statement] }));
}

describe("secrets", () => {
  it("a run whose child uses the SDK", async () => {
    const out = project.path("sdk");
    const result = await project.run({
      global: ["--verbose"],
      command: [process.execPath, SDK_CHILD, out, VERSION],
    });
    outputs.push({ what: "SDK child", result });
    expect(result.code).toBe(0);
    sdkChildOut = out;
    const session = readJson<{ session: string }>(out).session;
    expect(lastLine(result.stderr)).toMatch(summaryPattern("deploy", session, "exit 0"));
  });

  it("a run whose revocation fails (IAM refuses PutRolePolicy), with --verbose: exit 69 whatever the child's code, REVOCATION FAILED, recorded", async () => {
    setBasePolicy("no-revoke", { Effect: "Deny", Action: "iam:PutRolePolicy", Resource: "*" });
    const out = project.path("unrevoked");
    let result: RunResult;
    try {
      result = await project.run({
        global: ["--verbose"],
        command: ["sh", RECORD, out, "sh", "-c", "exit 3"],
      });
    } finally {
      setBasePolicy("no-revoke", undefined);
    }
    outputs.push({ what: "failed revocation", result });
    expect(result.code).toBe(69);
    const recorded = readRecorded(out);
    expect(lastLine(result.stderr)).toMatch(
      new RegExp(
        `^taskaccess: task deploy, session ta-deploy-${recorded.session}, command exit 3, exit 69, \\d+\\.\\ds, REVOCATION FAILED: the credentials stay valid until .*AccessDenied.*run \`taskaccess revoke --pending\`$`,
      ),
    );
    const events = sessionRecords(readLog(project.logPath), recorded.session);
    expect(events.map((record) => record.event)).toEqual([
      "session.start",
      "revocation.ready",
      "credentials.issued",
      "process.start",
      "process.exit",
      "revocation.failed",
      "session.end",
    ]);
    expect(events.at(-1)).toMatchObject({ exitCode: 69, revoked: false });
    expect(events.find((record) => record.event === "process.exit")).toMatchObject({ code: 3 });

    // revoke --pending finishes the job now that IAM lets it.
    const revoke = await runTaskaccess(project, [
      "--verbose",
      "revoke",
      "--pending",
      "--log",
      project.logPath,
    ]);
    outputs.push({ what: "revoke --pending", result: revoke });
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toContain(`revoked ta-deploy-${recorded.session}`);
    await expectRevoked(project, sessionCredentials(recorded));
  });

  it("a run whose AssumeRole is refused, with --verbose: exit 77, the command never runs", async () => {
    setBasePolicy("no-assume", { Effect: "Deny", Action: "sts:AssumeRole", Resource: "*" });
    const out = project.path("refused");
    let result: RunResult;
    try {
      result = await project.run({ global: ["--verbose"], command: ["sh", RECORD, out] });
    } finally {
      setBasePolicy("no-assume", undefined);
    }
    outputs.push({ what: "AssumeRole refused", result });
    expect(result.code).toBe(77);
    expect(result.stderr).toMatch(/AccessDenied/);
    const start = readLog(project.logPath).findLast((record) => record.event === "session.start");
    if (!start) throw new Error("no session.start");
    expect(sessionRecords(readLog(project.logPath), start.session).map((record) => record.event)).toEqual([
      "session.start",
      "revocation.ready",
      "session.end",
    ]);
  });

  it("a run whose command cannot start, with --verbose: exit 127", async () => {
    const result = await project.run({ global: ["--verbose"], command: [project.path("missing")] });
    outputs.push({ what: "missing command", result });
    expect(result.code).toBe(127);
  });

  it("log, log show and log verify of these sessions", async () => {
    const list = await runTaskaccess(project, ["log", "--log", project.logPath]);
    outputs.push({ what: "log", result: list });
    expect(list.code).toBe(0);
    const start = readLog(project.logPath).find((record) => record.event === "session.start");
    const show = await runTaskaccess(project, [
      "log",
      "show",
      start?.session ?? "",
      "--log",
      project.logPath,
    ]);
    outputs.push({ what: "log show", result: show });
    expect(show.code).toBe(0);
    const verify = await runTaskaccess(project, ["log", "verify", "--log", project.logPath]);
    outputs.push({ what: "log verify", result: verify });
    expect(verify.code).toBe(0);
  });

  it("no secret the sandbox issued, nor the base secret, is in the log or in any output", () => {
    const secrets: string[] = [];
    for (const record of project.sandbox.state.credentials.values()) {
      if (record.kind === "session") secrets.push(record.secretAccessKey, record.sessionToken);
      else secrets.push(record.secretAccessKey);
    }
    // Two sessions at least (the SDK run, the unrevoked run; a missing command is refused before
    // any AWS call), and user/base.
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    expect(secrets).toContain(project.base.secretAccessKey);
    const texts = [
      { what: "the session log", text: readFileSync(project.logPath, "utf8") },
      ...outputs.flatMap(({ what, result }) => [
        { what: `${what}: stdout`, text: result.stdout },
        { what: `${what}: stderr`, text: result.stderr },
      ]),
    ];
    expect(outputs.length).toBe(8);
    const found: string[] = [];
    for (const { what, text } of texts) {
      for (const secret of secrets) {
        // The whole value, or a recognisable piece of it (a shortened display).
        if (text.includes(secret) || text.includes(secret.slice(0, 16)) || text.includes(secret.slice(-16))) {
          found.push(`${what} holds ${secret.slice(0, 4)}…`);
        }
      }
    }
    expect(found).toEqual([]);
    // Control: the scan does see a secret where one is (the child's own record of its credentials).
    const control = readFileSync(sdkChildOut, "utf8");
    expect(secrets.filter((secret) => control.includes(secret))).toHaveLength(2);
  });
});

describe("the hash chain", () => {
  it("an edited field in one line is found, and that line is named (verifySessionLog and log verify)", async () => {
    const records = readLog(project.logPath);
    expect(records.length).toBeGreaterThan(6);
    const clean = await verifySessionLog(project.logPath);
    expect(clean).toMatchObject({ ok: true, problems: [] });

    // Change where the first session's credentials came from: a plausible forgery.
    const tampered = project.path("tampered.jsonl");
    copyFileSync(project.logPath, tampered);
    const lines = readFileSync(tampered, "utf8").split("\n");
    const index = lines.findIndex((line) => line.includes('"event":"credentials.issued"'));
    expect(index).toBeGreaterThanOrEqual(0);
    const original = lines[index] ?? "";
    const edited = original.replace(/"role":"[^"]*"/, `"role":"arn:aws:iam::${ACCOUNT}:role/reader"`);
    expect(edited).not.toBe(original);
    lines[index] = edited;
    writeFileSync(tampered, lines.join("\n"), { mode: 0o600 });

    const line = index + 1;
    const verified = await verifySessionLog(tampered);
    expect(verified.ok).toBe(false);
    expect(verified.problems).toEqual([expect.objectContaining({ line, kind: "changed" })]);

    const cli = await runTaskaccess(project, ["log", "verify", "--log", tampered]);
    expect(cli.code).toBe(1);
    expect(`${cli.stdout}${cli.stderr}`).toMatch(new RegExp(`line ${line} was changed`));
    const json = await runTaskaccess(project, ["log", "verify", "--json", "--log", tampered]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      problems: [expect.objectContaining({ line, kind: "changed" })],
    });
  });

  it("a removed line is found too", async () => {
    const tampered = project.path("removed.jsonl");
    const lines = readFileSync(project.logPath, "utf8").split("\n");
    lines.splice(2, 1); // line 3
    writeFileSync(tampered, lines.join("\n"), { mode: 0o600 });
    const verified = await verifySessionLog(tampered);
    expect(verified.ok).toBe(false);
    expect(verified.problems).toEqual([expect.objectContaining({ line: 3, kind: "removed" })]);
  });
});
