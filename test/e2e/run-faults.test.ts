// Faults injected in the sandbox, and children that do not stop when asked: taskaccess fails
// closed (no child without credentials it can revoke), says why, and stops the whole tree.
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseLogLine } from "../../src/audit/read-log.js";
import { type E2eProject, processesTagged, startProject } from "./helpers.js";

let project: E2eProject;

beforeAll(async () => {
  project = await startProject();
});

afterAll(async () => {
  await project.close();
});

beforeEach(() => {
  project.sandbox.faults.clear();
});

function eventsOf(session: string): Array<Record<string, unknown>> {
  return readFileSync(project.logPath, "utf8")
    .trimEnd()
    .split("\n")
    .map((line) => {
      const parsed = parseLogLine(line);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.record as unknown as Record<string, unknown>;
    })
    .filter((record) => record.session === session);
}

function lastSession(): string {
  const lines = readFileSync(project.logPath, "utf8").trimEnd().split("\n");
  const last = JSON.parse(lines.at(-1) ?? "{}") as { session?: string };
  return last.session ?? "";
}

function assumeRoleCalls(): number {
  return project.sandbox.journal.find({ service: "sts", operation: "AssumeRole" }).length;
}

describe("STS faults", () => {
  it("retries throttling and 5xx with backoff, then runs", async () => {
    const before = assumeRoleCalls();
    project.sandbox.faults.set("sts:AssumeRole", ["Throttling", "ServiceUnavailable", "ok"]);
    const result = await project.run({ command: ["true"] });
    expect(result.code, result.stderr).toBe(0);
    expect(assumeRoleCalls() - before).toBe(3);
  });

  it.each([
    ["InternalError", /InternalError|internal error|We encountered/i],
    ["drop", /socket hang up|ECONNRESET|closed/i],
  ] as const)(
    "fails closed when AssumeRole keeps failing (%s): exit 69, no child, the reason logged",
    async (fault, reason) => {
      project.sandbox.faults.set("sts:AssumeRole", Array(12).fill(fault));
      const marker = project.path("child-ran");
      const result = await project.run({ command: ["sh", "-c", `touch ${marker}`] });
      expect(result.code).toBe(69);
      expect(existsSync(marker)).toBe(false);
      expect(result.stderr).toMatch(/error: Could not assume role arn:aws:iam::123456789012:role\/deployer/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      const events = eventsOf(lastSession());
      expect(events.map((event) => event.event)).toEqual(
        expect.arrayContaining(["session.start", "session.end"]),
      );
      expect(events.map((event) => event.event)).not.toContain("process.start");
      const end = events.find((event) => event.event === "session.end");
      expect(end).toMatchObject({ exitCode: 69 });
      expect(String(end?.error)).toMatch(reason);
    },
    60_000,
  );
});

describe("a slow STS", () => {
  it("fails closed at the deadline (TASKACCESS_STS_DEADLINE): exit 69, no child, the name revoked", async () => {
    // Every answer takes 3 s; the deadline is 1 s, so AssumeRole is abandoned mid-request, and
    // because STS may still have issued the session, it is revoked by name all the same.
    project.sandbox.faults.set("sts:AssumeRole", Array(6).fill({ delayMs: 3000 }));
    const marker = project.path("child-ran");
    const result = await project.run({
      command: ["sh", "-c", `touch ${marker}`],
      env: { TASKACCESS_STS_DEADLINE: "1" },
    });
    project.sandbox.faults.set("sts:AssumeRole", []);
    expect(result.code, result.stderr).toBe(69);
    expect(existsSync(marker)).toBe(false);
    expect(result.stderr).toContain(
      "error: Could not assume role arn:aws:iam::123456789012:role/deployer: no answer from STS within 1 s, retries included",
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const events = eventsOf(lastSession());
    expect(events.map((event) => event.event)).toEqual([
      "session.start",
      "revocation.ready",
      "session.revoked",
      "session.end",
    ]);
    expect(events.at(-1)).toMatchObject({ exitCode: 69, revoked: true });
  }, 30_000);

  it("refuses a deadline that is not a number of seconds before any AWS call: exit 64", async () => {
    const before = assumeRoleCalls();
    const result = await project.run({ command: ["true"], env: { TASKACCESS_STS_DEADLINE: "soon" } });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('error: TASKACCESS_STS_DEADLINE="soon" is not a number of seconds');
    expect(assumeRoleCalls()).toBe(before);
  });
});

describe("base credentials", () => {
  it("exits 77 with the credential sources named when there are none", async () => {
    const result = await project.run({
      command: ["true"],
      env: {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_EC2_METADATA_DISABLED: "true",
      },
    });
    expect(result.code).toBe(77);
    expect(result.stderr).toMatch(
      /hint: no base credentials were found \(tried environment variables, the shared config/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it("exits 77 when the base secret is wrong", async () => {
    const result = await project.run({ command: ["true"], env: { AWS_SECRET_ACCESS_KEY: "not-the-secret" } });
    expect(result.code).toBe(77);
    expect(result.stderr).toMatch(/SignatureDoesNotMatch/);
  });
});

describe("children that do not stop", () => {
  it("kills a child that ignores SIGTERM after the grace period, and revokes", async () => {
    const started = Date.now();
    const result = await project.run({
      task: "deploy-timeout",
      command: ["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"],
    });
    expect(result.code).toBe(137);
    // one second of timeout, ten of grace, then teardown
    expect(Date.now() - started).toBeGreaterThan(10_000);
    const events = eventsOf(lastSession());
    expect(events.find((event) => event.event === "process.exit")).toMatchObject({
      timedOut: true,
      signal: "SIGKILL",
    });
    expect(events.map((event) => event.event)).toContain("session.revoked");
  }, 40_000);

  it.each([["isolated"], ["not isolated"]])(
    "stops the grandchildren too when the task times out (%s)",
    async (how) => {
      // Found by a tag in their command line: an isolated command's $! is a pid of its own namespace.
      const tag = `grandchild-${process.pid}-${Date.now()}`;
      const started = Date.now();
      const result = await project.run({
        task: "deploy-timeout",
        command: ["sh", "-c", `sh -c "sleep 300 # ${tag}" & wait`],
        options: how === "isolated" ? [] : ["--isolation", "none"],
      });
      expect(result.code).toBe(143);
      // The sleep dies of SIGTERM at once: no waiting out the ten-second grace period.
      expect(Date.now() - started).toBeLessThan(8_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(processesTagged(tag)).toEqual([]);
    },
    30_000,
  );
});
