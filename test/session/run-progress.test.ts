// The steps runSession reports to its progress port (src/session/progress.ts), with every other
// port faked: which steps, in which order, on the paths a run can take. How they are drawn is
// test/cli/progress-display.test.ts; in a real terminal, test/e2e/run-terminal.test.ts.
import { describe, expect, it } from "vitest";
import { TaskAccessError } from "../../src/errors.js";
import type { RunPlan } from "../../src/session/plan-run.js";
import type { IssuedCredentials } from "../../src/session/ports.js";
import type { RunStep } from "../../src/session/progress.js";
import { type RunDeps, type RunEvent, runSession } from "../../src/session/run-session.js";

const ROLE = "arn:aws:iam::123456789012:role/deployer";

function plan(overrides: Partial<RunPlan> = {}): RunPlan {
  return {
    task: {
      name: "deploy",
      role: ROLE,
      region: "eu-west-1",
      durationSeconds: 900,
      params: [],
      allow: [],
      deny: [],
      policyArns: [],
      tags: {},
      reason: "optional",
    },
    params: {},
    reason: null,
    command: "./deploy.sh",
    args: [],
    interactive: false,
    policy: '{"Version":"2012-10-17","Statement":[]}',
    policySha256: "0".repeat(64),
    sessionId: "abcdefghijkl",
    sessionName: "ta-deploy-abcdefghijkl",
    sourceIdentity: undefined,
    tags: {},
    ci: undefined,
    warnings: [],
    timeoutMs: undefined,
    graceMs: 1000,
    credentials: "env",
    isolation: "none",
    revokeWithinMs: 5000,
    durationSeconds: 900,
    externalId: undefined,
    mfaSerial: undefined,
    ...overrides,
  };
}

const ISSUED: IssuedCredentials = {
  accessKeyId: "ASIA1",
  secretAccessKey: "secret",
  sessionToken: "token",
  expiration: new Date(Date.parse("2026-11-28T12:15:00Z")),
  assumedRoleId: "AROA:ta-deploy-abcdefghijkl",
  assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/deployer/ta-deploy-abcdefghijkl",
};

// A run whose ports all succeed unless told otherwise; returns the steps and the log lines.
async function run(
  runPlan: RunPlan,
  change: Partial<RunDeps> = {},
): Promise<{ steps: RunStep[]; events: RunEvent[]; exitCode: number }> {
  const steps: RunStep[] = [];
  const events: RunEvent[] = [];
  const outcome = await runSession(runPlan, {
    issuer: {
      region: async () => "eu-west-1",
      callerIdentity: async () => ({ arn: "arn:aws:iam::123456789012:user/base", account: "1", userId: "A" }),
      assumeRole: async () => ISSUED,
    },
    revoker: {
      prepare: async () => ({ via: "caller", boundary: { state: "set", arn: "arn:b" } }),
      revoke: async () => ({ policyName: "taskaccess-revoke-1", method: "inline-deny", attempts: 1 }),
      arm: async () => ({ policyName: "taskaccess-armed-1", method: "inline-deny", attempts: 1 }),
      deleteExpired: async () => [],
    },
    runner: {
      run: async (input) => {
        await input.onStart(4242);
        return { code: 3, signal: null, timedOut: false, durationMs: 1 };
      },
    },
    audit: {
      append: async (event) => {
        events.push(event);
      },
    },
    clock: { now: () => Date.parse("2026-11-28T12:00:00Z") },
    host: "h",
    cwd: "/",
    env: { PATH: "/bin" },
    argv: [runPlan.command, ...runPlan.args],
    pid: 1,
    isolation: { applied: "none" },
    interrupt: new AbortController().signal,
    interruptedBy: () => undefined,
    warn: () => {},
    confirm: {
      confirmer: { confirm: async () => ({ state: "seen", afterMs: 10 }) },
      withinMs: 30_000,
    },
    progress: { step: (step) => steps.push(step) },
    ...change,
  });
  return { steps, events, exitCode: outcome.exitCode };
}

const BEFORE_THE_COMMAND: RunStep[] = [
  { kind: "identify" },
  { kind: "check-revocation", role: ROLE },
  { kind: "assume-role", role: ROLE },
];

describe("the steps a run reports", () => {
  it("a command that runs and is revoked: every step, in order", async () => {
    const { steps, exitCode } = await run(plan());
    expect(exitCode).toBe(3);
    expect(steps).toEqual([
      ...BEFORE_THE_COMMAND,
      {
        kind: "start-command",
        command: "./deploy.sh",
        interactive: false,
        sessionName: "ta-deploy-abcdefghijkl",
      },
      { kind: "revoke", sessions: 1 },
      { kind: "revoked", sessions: 1, failed: 0 },
      { kind: "confirm", sessions: 1 },
    ]);
  });

  it("no confirmation step with --no-confirm; writing the log when it is sent elsewhere (S3)", async () => {
    const events: RunEvent[] = [];
    const { steps } = await run(plan(), {
      confirm: undefined,
      audit: {
        append: async (event) => {
          events.push(event);
        },
        flush: async () => {},
      },
    });
    expect(steps.slice(4)).toEqual([
      { kind: "revoke", sessions: 1 },
      { kind: "revoked", sessions: 1, failed: 0 },
      { kind: "write-log" },
    ]);
  });

  it("AssumeRole refused: nothing issued, so nothing to revoke", async () => {
    const { steps, exitCode } = await run(plan(), {
      issuer: {
        region: async () => "eu-west-1",
        callerIdentity: async () => ({ arn: "arn:aws:iam::1:user/base", account: "1", userId: "A" }),
        assumeRole: async () => {
          throw new TaskAccessError("AccessDenied", { exitCode: 77 });
        },
      },
    });
    expect(exitCode).toBe(77);
    expect(steps).toEqual(BEFORE_THE_COMMAND);
  });

  it("a failed revocation: said, and nothing to confirm", async () => {
    const { steps, exitCode } = await run(plan(), {
      revoker: {
        prepare: async () => ({ via: "caller", boundary: { state: "set", arn: "arn:b" } }),
        revoke: async () => {
          throw new TaskAccessError("IAM is down", { exitCode: 69 });
        },
        arm: async () => ({ policyName: "p", method: "inline-deny", attempts: 1 }),
        deleteExpired: async () => [],
      },
    });
    expect(exitCode).toBe(69);
    expect(steps.slice(4)).toEqual([
      { kind: "revoke", sessions: 1 },
      { kind: "revoked", sessions: 1, failed: 1 },
    ]);
  });

  it("an interactive shell: reported as one, and recorded as one in session.start", async () => {
    const { steps, events } = await run(plan({ command: "/bin/bash", interactive: true }));
    expect(steps[3]).toEqual({
      kind: "start-command",
      command: "/bin/bash",
      interactive: true,
      sessionName: "ta-deploy-abcdefghijkl",
    });
    expect(events[0]).toMatchObject({ event: "session.start", argv: ["/bin/bash"], interactive: true });
  });

  it("a command given after --: session.start has no interactive field", async () => {
    const { events } = await run(plan());
    expect(events[0]?.event).toBe("session.start");
    expect(events[0]).not.toHaveProperty("interactive");
  });

  it("reports to no one by default", async () => {
    const { steps, exitCode } = await run(plan(), { progress: undefined });
    expect(exitCode).toBe(3);
    expect(steps).toEqual([]);
  });
});
