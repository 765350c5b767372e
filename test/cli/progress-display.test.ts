// The terminal display of a run's progress (src/cli/progress-display.ts), with a fake clock and a
// fake stream: what is written, byte for byte, as steps come and seconds pass.
import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import type { CliContext } from "../../src/cli/context.js";
import {
  createProgressDisplay,
  ERASE_LINE,
  type ProgressTimers,
  runProgressDisplay,
} from "../../src/cli/progress-display.js";

const ROLE = "arn:aws:iam::123456789012:role/ops/deployer";

// A clock that moves only when told, and the repeating timers due by then.
function fakeTimers(): ProgressTimers & { advance: (ms: number) => void; running: () => number } {
  let now = 1_000_000;
  let timers: Array<{ every: number; next: number; tick: () => void }> = [];
  return {
    now: () => now,
    every: (ms, tick) => {
      const timer = { every: ms, next: now + ms, tick };
      timers.push(timer);
      return () => {
        timers = timers.filter((other) => other !== timer);
      };
    },
    advance: (ms) => {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((timer) => timer.next <= until).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        now = due.next;
        due.next += due.every;
        due.tick();
      }
      now = until;
    },
    running: () => timers.length,
  };
}

function display(options: { rewrite?: boolean; level?: 0 | 1 } = {}) {
  const written: string[] = [];
  const timers = fakeTimers();
  const shown = createProgressDisplay({
    write: (text) => written.push(text),
    colors: new Chalk({ level: options.level ?? 0 }),
    timers,
    rewrite: options.rewrite ?? true,
  });
  return { shown, timers, written, text: () => written.join("") };
}

describe("the progress display", () => {
  it("draws a line per step and counts the seconds of a step that waits longer than one", () => {
    const { shown, timers, written, text } = display();
    shown.step({ kind: "identify" });
    timers.advance(300);
    shown.step({ kind: "check-revocation", role: ROLE });
    timers.advance(999);
    shown.step({ kind: "assume-role", role: ROLE });
    expect(text()).toBe(
      "taskaccess: checking the base credentials…\n" +
        "taskaccess: checking that role deployer can be revoked…\n" +
        "taskaccess: assuming role deployer…",
    );
    written.length = 0;
    timers.advance(3500);
    expect(written).toEqual([
      `${ERASE_LINE}taskaccess: assuming role deployer… 1s`,
      `${ERASE_LINE}taskaccess: assuming role deployer… 2s`,
      `${ERASE_LINE}taskaccess: assuming role deployer… 3s`,
    ]);
    written.length = 0;
    shown.step({ kind: "start-command", command: "./deploy.sh", interactive: false, sessionName: "ta-x" });
    expect(text()).toBe("\ntaskaccess: starting ./deploy.sh\n");
    // Nothing is drawn while the command has the terminal.
    expect(timers.running()).toBe(0);
    timers.advance(10_000);
    expect(text()).toBe("\ntaskaccess: starting ./deploy.sh\n");
  });

  it("draws the end of a run: revoking, revoked, confirming, the log; end() closes the last line", () => {
    const { shown, timers, text } = display();
    shown.step({ kind: "revoke", sessions: 1 });
    shown.step({ kind: "revoked", sessions: 1, failed: 0 });
    shown.step({ kind: "confirm", sessions: 1 });
    timers.advance(2000);
    shown.step({ kind: "write-log" });
    shown.end();
    shown.end();
    expect(text()).toBe(
      "taskaccess: revoking the session…\n" +
        "taskaccess: revoked\n" +
        `taskaccess: confirming AWS refuses the credentials…${ERASE_LINE}taskaccess: confirming AWS refuses the credentials… 1s${ERASE_LINE}taskaccess: confirming AWS refuses the credentials… 2s\n` +
        "taskaccess: writing the session log…\n",
    );
    expect(timers.running()).toBe(0);
  });

  it("names several sessions and a failed revocation", () => {
    const { shown, text } = display();
    shown.step({ kind: "revoke", sessions: 3 });
    shown.step({ kind: "revoked", sessions: 3, failed: 1 });
    shown.step({ kind: "revoke", sessions: 1 });
    shown.step({ kind: "revoked", sessions: 1, failed: 1 });
    expect(text()).toBe(
      "taskaccess: revoking 3 sessions…\n" +
        "taskaccess: 1 of 3 sessions not revoked\n" +
        "taskaccess: revoking the session…\n" +
        "taskaccess: revocation failed\n",
    );
  });

  it("says how to end the session of an interactive shell", () => {
    const { shown, text } = display();
    shown.step({
      kind: "start-command",
      command: "/bin/bash",
      interactive: true,
      sessionName: "ta-deploy-x",
    });
    expect(text()).toBe(
      "taskaccess: starting /bin/bash in session ta-deploy-x: exit the shell to end the session and revoke its credentials\n",
    );
  });

  it("writes a warning over the line being drawn and draws the line again after it", () => {
    const { shown, timers, written } = display();
    shown.step({ kind: "assume-role", role: ROLE });
    timers.advance(2000);
    written.length = 0;
    shown.write("warning: STS has not answered within 15 s; still waiting\n");
    expect(written).toEqual([
      `${ERASE_LINE}warning: STS has not answered within 15 s; still waiting\ntaskaccess: assuming role deployer… 2s`,
    ]);
    shown.end();
    written.length = 0;
    shown.write("warning: later\n");
    expect(written).toEqual(["warning: later\n"]);
  });

  it("on a terminal that cannot rewrite a line (TERM=dumb), prints each step once, with no seconds", () => {
    const { shown, timers, text } = display({ rewrite: false });
    shown.step({ kind: "assume-role", role: ROLE });
    timers.advance(5000);
    shown.step({ kind: "revoke", sessions: 1 });
    shown.end();
    expect(text()).toBe("taskaccess: assuming role deployer…\ntaskaccess: revoking the session…\n");
    expect(timers.running()).toBe(0);
  });

  it("colours with the context's colours: the prefix and the seconds dim, revoked green", () => {
    const { shown, timers, text } = display({ level: 1 });
    shown.step({ kind: "assume-role", role: ROLE });
    timers.advance(1000);
    shown.step({ kind: "revoked", sessions: 1, failed: 0 });
    expect(text()).toBe(
      "\x1b[2mtaskaccess:\x1b[22m assuming role deployer…" +
        `${ERASE_LINE}\x1b[2mtaskaccess:\x1b[22m assuming role deployer…\x1b[2m 1s\x1b[22m\n` +
        "\x1b[2mtaskaccess:\x1b[22m \x1b[32mrevoked\x1b[39m\n",
    );
  });
});

describe("runProgressDisplay", () => {
  function context(stderrIsTTY: boolean, env: Record<string, string> = {}) {
    const written: string[] = [];
    const ctx: CliContext = {
      io: {
        stdout: () => {},
        stderr: (text) => written.push(text),
        env,
        cwd: "/",
        stdinIsTTY: stderrIsTTY,
        stdoutIsTTY: stderrIsTTY,
        stderrIsTTY,
      },
      out: new Chalk({ level: 0 }),
      err: new Chalk({ level: 0 }),
      exitCode: 0,
      verbose: false,
    };
    return { ctx, written };
  }

  it.each([
    ["stderr is not a terminal", false, false],
    ["--quiet", true, true],
  ])("draws nothing when %s, and writes what it is given as it is", (_, tty, quiet) => {
    const { ctx, written } = context(tty);
    const shown = runProgressDisplay(ctx, quiet);
    shown.step({ kind: "assume-role", role: ROLE });
    shown.write("warning: kept\n");
    shown.step({ kind: "revoke", sessions: 1 });
    shown.end();
    expect(written).toEqual(["warning: kept\n"]);
  });

  it("draws the steps on a terminal", () => {
    const { ctx, written } = context(true);
    const shown = runProgressDisplay(ctx, false);
    shown.step({ kind: "revoke", sessions: 1 });
    shown.end();
    expect(written.join("")).toBe("taskaccess: revoking the session…\n");
  });
});
