import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainEvent, GENESIS_PREV, sha256Hex } from "../../src/audit/chain.js";
import type { SessionEvent } from "../../src/audit/events.js";
import { type E2eProject, lastLine, RECORD, runTaskaccess, startProject } from "./helpers.js";

// The anchor for a local log (issue 12): the command can rewrite the log it runs beside and
// recompute the whole chain, which then verifies. The head `run` prints, kept elsewhere, does not
// survive that: `log verify --head` says so.

let project: E2eProject;
beforeAll(async () => {
  project = await startProject();
});
afterAll(async () => {
  await project?.close();
});

describe("the head of a local log", () => {
  it("is printed by run, and log verify --head catches a log rewritten with a fresh chain", async () => {
    const result = await project.run({ command: ["sh", RECORD, project.path("anchor")] });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stderr.trimEnd().split("\n");
    const match =
      /^taskaccess: log (\S+) head ([0-9a-f]{64}) \(check it later: taskaccess log verify --head \2\)$/.exec(
        lines.at(-2) ?? "",
      );
    expect(match, result.stderr).not.toBeNull();
    const head = match?.[2] ?? "";
    expect(match?.[1]).toBe(project.logPath);
    const text = readFileSync(project.logPath, "utf8");
    expect(sha256Hex(text.trimEnd().split("\n").at(-1) ?? "")).toBe(head);

    const verify = await runTaskaccess(project, ["log", "verify", "--log", project.logPath, "--head", head]);
    expect(verify.code, verify.stderr).toBe(0);

    // The command's rewrite: its exit code 1 made 0, every line re-chained.
    let prev = GENESIS_PREV;
    const rewritten = text
      .trimEnd()
      .split("\n")
      .map((line, index) => {
        const { v: _v, seq: _seq, prev: _prev, ...event } = JSON.parse(line) as Record<string, unknown>;
        if (event.event === "session.end") event.note = "rewritten";
        const chained = chainEvent(event as SessionEvent, index + 1, prev);
        prev = sha256Hex(chained.text);
        return chained.text;
      });
    writeFileSync(project.logPath, `${rewritten.join("\n")}\n`);
    const plain = await runTaskaccess(project, ["log", "verify", "--log", project.logPath]);
    expect(plain.code, plain.stderr).toBe(0);
    const anchored = await runTaskaccess(project, [
      "log",
      "verify",
      "--log",
      project.logPath,
      "--head",
      head,
    ]);
    expect(anchored.code).toBe(1);
    expect(anchored.stderr).toContain(
      `changed: no line of the log has the head ${head}: the log was rewritten or cut since that head was taken`,
    );
    expect(lastLine(result.stderr)).toMatch(/access revoked/);
  });
});
