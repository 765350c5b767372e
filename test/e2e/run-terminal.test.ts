// `taskaccess run` on a terminal: progress lines on stderr (and none when stderr is not a terminal
// or with --quiet), `run TASK` with no command starting $SHELL in the session, and the AWS SDK's own
// warnings reworded. The terminal is a real pseudo-terminal from util-linux script(1): stdin,
// stdout and stderr of taskaccess are all the pty, whose output (stdout and stderr, with \r\n)
// comes back on script's stdout. bin/taskaccess runs dist/: `npm run build` first.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LogRecord } from "../../src/audit/events.js";
import {
  BIN,
  type E2eProject,
  expectRevoked,
  FIXTURES,
  FULL_SESSION,
  type RunInput,
  readJson,
  readLog,
  SDK_CHILD,
  sessionCredentials,
  sessionRecords,
  startProject,
  summaryPattern,
  VERSION,
} from "./helpers.js";
import { assertUserCanRun, handOver, type RunAs, restoreTraversal, runAsVariants } from "./unprivileged.js";

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

/** Back to the start of the line and erase it: how the display rewrites a waiting step's line. */
const ERASE_LINE = "\r\x1b[2K";

interface TerminalRun {
  code: number | null;
  /** Everything the terminal received, as bytes turned text. */
  raw: string;
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

// Runs bin/taskaccess in a new pseudo-terminal. `typed` is sent to the terminal once `after` has
// appeared on it (typed ahead, it would sit in the terminal's input until the shell reads it).
// A run still going after `timeoutMs` loses its terminal (SIGKILL to script: the hang-up ends the
// run, which revokes), so that a failing test leaves no shell waiting behind it.
function inTerminal(
  input: RunInput,
  options: {
    typed?: { after: string; text: string };
    stderrTo?: string;
    timeoutMs?: number;
    /** Another project, and the user who runs taskaccess in it (test/e2e/unprivileged.ts). */
    in?: { project: E2eProject; as: RunAs };
  } = {},
): Promise<TerminalRun> {
  const where = options.in?.project ?? project;
  const user = options.in?.as.user;
  const setpriv = user
    ? ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--"]
    : [];
  const argv = [...setpriv, process.execPath, BIN, ...where.argv(input)].map(shellQuote).join(" ");
  // USER_TTY names the user's terminal (the one script made), for the hostile commands below.
  const line = `USER_TTY=$(tty) ${argv}${options.stderrTo ? ` 2>${shellQuote(options.stderrTo)}` : ""}`;
  const child = spawn("script", ["-qfec", line, "/dev/null"], {
    cwd: where.dir,
    env: where.env({ TERM: "xterm", ...input.env }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let raw = "";
  let typed = false;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    raw += chunk;
    if (options.typed && !typed && raw.includes(options.typed.after)) {
      typed = true;
      child.stdin.write(options.typed.text);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    raw += `[script stderr] ${chunk}`;
  });
  const deadline = setTimeout(() => {
    raw += "[killed: still running]";
    child.kill("SIGKILL");
  }, options.timeoutMs ?? 20_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(deadline);
      resolve({ code, raw });
    });
  });
}

// What the terminal shows: each line as last drawn (after its last \r), without erase sequences.
function screen(raw: string): string[] {
  return raw
    .replace(/\r\n/g, "\n")
    .replace(/\n$/, "")
    .split("\n")
    .map((line) => (line.split("\r").at(-1) ?? "").replaceAll("\x1b[2K", ""));
}

function lastSession(): string {
  const records = readLog(project.logPath);
  return records.at(-1)?.session ?? "";
}

function startsIn(): number {
  return existsSync(project.logPath)
    ? readLog(project.logPath).filter((record) => record.event === "session.start").length
    : 0;
}

function stsCalls(): number {
  return project.sandbox.journal.find({ service: "sts" }).length;
}

const LOG_HEAD =
  /^taskaccess: log \S+ head [0-9a-f]{64} \(check it later: taskaccess log verify --head [0-9a-f]{64}\)$/;
/** A step's line, with the seconds it may have shown if this machine was slow. */
const step = (text: string) => new RegExp(`^taskaccess: ${text}( \\d+s)?$`);

describe("progress on a terminal", () => {
  it("a line per step, with the seconds of a slow AssumeRole counted on its line", async () => {
    project.sandbox.faults.set("sts:AssumeRole", [{ delayMs: 2500 }]);
    const result = await inTerminal({ command: ["true"] });
    expect(result.code, result.raw).toBe(0);
    const session = lastSession();
    const lines = screen(result.raw);
    expect(lines, result.raw).toHaveLength(9);
    const expected = [
      step("checking the base credentials…"),
      step("checking that role deployer can be revoked…"),
      /^taskaccess: assuming role deployer… [2-9]s$/,
      /^taskaccess: starting true$/,
      step("revoking the session…"),
      /^taskaccess: revoked$/,
      step("confirming AWS refuses the credentials…"),
      LOG_HEAD,
      summaryPattern("deploy", session, "exit 0"),
    ];
    lines.forEach((line, index) => {
      expect(line, result.raw).toMatch(expected[index] as RegExp);
    });
    // The line was rewritten in place as the seconds went by.
    expect(result.raw).toContain(`${ERASE_LINE}taskaccess: assuming role deployer… 1s${ERASE_LINE}`);
  }, 30_000);

  it("nothing extra when stderr is not a terminal (stdin and stdout are): stderr is as it always was", async () => {
    project.sandbox.faults.set("sts:AssumeRole", [{ delayMs: 1500 }]);
    const stderrFile = project.path("stderr");
    const result = await inTerminal({ command: ["true"] }, { stderrTo: stderrFile });
    expect(result.code, result.raw).toBe(0);
    expect(result.raw).toBe("");
    const stderr = readFileSync(stderrFile, "utf8");
    const lines = stderr.split("\n");
    expect(lines, stderr).toHaveLength(3);
    expect(lines[0]).toMatch(LOG_HEAD);
    expect(lines[1]).toMatch(summaryPattern("deploy", lastSession(), "exit 0"));
    expect(lines[2]).toBe("");
  }, 30_000);

  it("--quiet on a terminal: the summary only", async () => {
    project.sandbox.faults.set("sts:AssumeRole", [{ delayMs: 1500 }]);
    const result = await inTerminal({ command: ["true"], options: ["--quiet"] });
    expect(result.code, result.raw).toBe(0);
    const lines = screen(result.raw);
    expect(lines, result.raw).toHaveLength(2);
    expect(lines[0]).toMatch(LOG_HEAD);
    expect(lines[1]).toMatch(summaryPattern("deploy", lastSession(), "exit 0"));
    expect(result.raw).not.toContain("\x1b[2K");
  }, 30_000);
});

describe("run TASK with no command", () => {
  it("on a terminal starts $SHELL in the session, passes its exit code on, and revokes after it", async () => {
    const out = project.path("sdk-child");
    const result = await inTerminal(
      { command: [], env: { SHELL: "/bin/sh" } },
      {
        typed: {
          after: "exit the shell to end the session",
          text: `echo "in session $TASKACCESS_SESSION"; node ${SDK_CHILD} ${out} ${VERSION}; exit 7\n`,
        },
      },
    );
    expect(result.code, result.raw).toBe(7);
    const session = lastSession();
    const lines = screen(result.raw);
    expect(lines).toContain(
      `taskaccess: starting /bin/sh in session ta-deploy-${session}: exit the shell to end the session and revoke its credentials`,
    );
    // After the shell's prompt, if the typing came before it: the terminal kept what was typed ahead.
    expect(
      lines.filter((line) => line.endsWith(`in session ${session}`)),
      result.raw,
    ).toHaveLength(1);
    expect(lines.at(-1)).toMatch(summaryPattern("deploy", session, "exit 7"));
    const records = sessionRecords(readLog(project.logPath), session);
    expect(records.map((record) => record.event)).toEqual(FULL_SESSION);
    const byEvent = (event: string) =>
      records.find((record) => record.event === event) as unknown as Record<string, unknown>;
    expect(byEvent("session.start")).toMatchObject({ argv: ["/bin/sh"], interactive: true });
    expect(byEvent("process.start")).toMatchObject({ argv: ["/bin/sh"] });
    expect(byEvent("process.exit")).toMatchObject({ code: 7, signal: null });
    // The shell's commands had the session's credentials: AWS saw the task's role session.
    const seen = readJson<{
      identity: { Arn?: string };
      session: string;
      credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
    }>(out);
    expect(seen.identity.Arn).toBe(`arn:aws:sts::123456789012:assumed-role/deployer/ta-deploy-${session}`);
    expect(seen.session).toBe(session);
    const issued = byEvent("credentials.issued") as unknown as LogRecord & { accessKeyId: string };
    expect(seen.credentials.accessKeyId).toBe(issued.accessKeyId);
    await expectRevoked(project, sessionCredentials(seen.credentials));
  }, 60_000);

  it("not on a terminal: exit 64, and nothing asked of AWS or logged", async () => {
    const starts = startsIn();
    const calls = stsCalls();
    const result = await project.run({ command: [] });
    expect(result.code).toBe(64);
    expect(result.stderr).toBe(
      "error: no command to run\n  hint: write the command after --: taskaccess run TASK -- ./deploy.sh (without one, run starts $SHELL only when stdin and stderr are a terminal)\n",
    );
    expect(startsIn()).toBe(starts);
    expect(stsCalls()).toBe(calls);
  });

  it("in CI (CI=true), even on a terminal: exit 64, and nothing asked of AWS or logged", async () => {
    const starts = startsIn();
    const calls = stsCalls();
    const result = await inTerminal({ command: [], env: { CI: "true", SHELL: "/bin/sh" } });
    expect(result.code, result.raw).toBe(64);
    expect(screen(result.raw)).toEqual([
      "error: no command to run, and no interactive shell in CI",
      "  hint: write the command after --: taskaccess run TASK -- ./deploy.sh",
    ]);
    expect(startsIn()).toBe(starts);
    expect(stsCalls()).toBe(calls);
  }, 30_000);

  it("--print-env still needs no command and starts no shell", async () => {
    const result = await inTerminal({ command: [], options: ["--print-env"], env: { SHELL: "/bin/sh" } });
    expect(result.code, result.raw).toBe(0);
    const lines = screen(result.raw);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^set: AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN /);
    expect(lines[1]).toMatch(/^removed: /);
  }, 30_000);
});

describe("the user's terminal and TIOCSTI", () => {
  const TIOCSTI = join(FIXTURES, "hostile", "tiocsti.pl");
  // What the fixture printed, after the shell's prompt or the echo of a space it injected.
  const said = (lines: string[]) =>
    lines.flatMap((line) => (line.includes("TIOCSTI on ") ? [line.slice(line.indexOf("TIOCSTI on "))] : []));

  it("nothing in an interactive shell's session can type into the user's terminal", async () => {
    const result = await inTerminal(
      { command: [], env: { SHELL: "/bin/sh" } },
      {
        typed: {
          after: "exit the shell to end the session",
          text: `perl ${TIOCSTI} "$USER_TTY"; exit 0\n`,
        },
      },
    );
    // EPERM: not the caller's controlling terminal; EIO: dev.tty.legacy_tiocsti=0 refuses it anyway.
    expect(said(screen(result.raw)), result.raw).toEqual([
      expect.stringMatching(
        /^TIOCSTI on \/dev\/pts\/\d+: refused \((Operation not permitted|Input\/output error)\)$/,
      ),
    ]);
    expect(result.code, result.raw).toBe(0);
  }, 30_000);

  it("nor can a command given after --, on the terminal taskaccess was started from", async () => {
    // The machine's kernel may allow TIOCSTI on a controlling terminal (dev.tty.legacy_tiocsti=1):
    // unisolated, the same command types into the user's terminal; isolated, it has none.
    const legacy = existsSync("/proc/sys/dev/tty/legacy_tiocsti")
      ? readFileSync("/proc/sys/dev/tty/legacy_tiocsti", "utf8").trim()
      : "1";
    const command = ["sh", "-c", `perl ${TIOCSTI} "$USER_TTY"`];
    const isolated = await inTerminal({ command });
    expect(isolated.code, isolated.raw).toBe(0);
    expect(said(screen(isolated.raw)), isolated.raw).toEqual([
      expect.stringMatching(
        /^TIOCSTI on \/dev\/pts\/\d+: refused \((Operation not permitted|Input\/output error)\)$/,
      ),
    ]);
    const unisolated = await inTerminal({ command, options: ["--isolation", "none"] });
    expect(said(screen(unisolated.raw)), unisolated.raw).toEqual([
      expect.stringMatching(
        legacy === "1"
          ? /^TIOCSTI on \/dev\/pts\/\d+: injected$/
          : /^TIOCSTI on \/dev\/pts\/\d+: refused \(Input\/output error\)$/,
      ),
    ]);
  }, 60_000);
});

describe.each(runAsVariants())("TIOCSTI through the command's own stdin, $label", (as: RunAs) => {
  // The same attack without opening the terminal by its path (which an unprivileged user may not):
  // on fd 0, which is the user's terminal for a command given after --.
  const TIOCSTI = join(FIXTURES, "hostile", "tiocsti.pl");
  let own: E2eProject;
  beforeAll(async () => {
    own = await startProject();
    handOver(own, as);
    assertUserCanRun(as);
  });
  afterAll(async () => {
    await own?.close();
    restoreTraversal();
  });

  it("is refused for an isolated command", async () => {
    const result = await inTerminal({ command: ["perl", TIOCSTI, "fd0"] }, { in: { project: own, as } });
    expect(result.code, result.raw).toBe(0);
    expect(
      screen(result.raw).filter((line) => line.startsWith("TIOCSTI on ")),
      result.raw,
    ).toEqual([
      expect.stringMatching(/^TIOCSTI on fd 0: refused \((Operation not permitted|Input\/output error)\)$/),
    ]);
  }, 30_000);
});

describe("the AWS SDK's own warnings", () => {
  const RAW_SDK = /@smithy|@aws-sdk|WARN|requestTimeout/;

  it("an STS that does not answer within the request timeout: taskaccess's words, not the SDK's", async () => {
    // The STS client's request timeout is 15 s; the SDK then only warns, and waits on.
    project.sandbox.faults.set("sts:AssumeRole", [{ delayMs: 16_500 }]);
    const result = await project.run({ command: ["true"] });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(RAW_SDK);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines, result.stderr).toHaveLength(3);
    expect(lines[0]).toBe("warning: STS has not answered within 15 s; still waiting");
    expect(lines[1]).toMatch(LOG_HEAD);
    expect(lines[2]).toMatch(summaryPattern("deploy", lastSession(), "exit 0"));
  }, 40_000);

  it("a profile and keys in the environment both set: one warning naming both", async () => {
    const credentials = join(project.dir, "aws-credentials");
    writeFileSync(
      credentials,
      `[base]\naws_access_key_id = ${project.base.accessKeyId}\naws_secret_access_key = ${project.base.secretAccessKey}\n`,
    );
    const result = await project.run({
      command: ["true"],
      env: { AWS_PROFILE: "base", AWS_SHARED_CREDENTIALS_FILE: credentials },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(RAW_SDK);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines, result.stderr).toHaveLength(3);
    expect(lines[0]).toBe(
      "warning: a profile (--profile or AWS_PROFILE) and AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY are both set: the base identity is the profile's; unset one of them",
    );
    expect(lines[2]).toMatch(summaryPattern("deploy", lastSession(), "exit 0"));
  }, 30_000);
});
