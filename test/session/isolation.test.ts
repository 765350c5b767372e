import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode, TaskAccessError } from "../../src/errors.js";
import { bwrapArgv } from "../../src/session/bwrap.js";
import { listHiddenPaths } from "../../src/session/hidden-paths.js";
import { decideIsolation, parseIsolationMode } from "../../src/session/isolation.js";

// Which paths the isolated command must not see, and how a mode and this machine's support
// become a decision. The end-to-end tests (test/e2e/contain-*.test.ts) check what a hostile
// command can really reach.

let home: string;
beforeEach(() => {
  home = realpathSync(mkdtempSync(join(tmpdir(), "taskaccess-isolation-")));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

describe("listHiddenPaths", () => {
  it("hides ~/.aws, the state directory, the log's directory and the files AWS_* variables name", () => {
    mkdirSync(join(home, ".aws"));
    mkdirSync(join(home, ".local/state/taskaccess"), { recursive: true });
    mkdirSync(join(home, "elsewhere"));
    writeFileSync(join(home, "elsewhere/creds"), "[default]\n");
    writeFileSync(join(home, "elsewhere/token"), "jwt");
    mkdirSync(join(home, "logs"));
    const project = join(home, "project");
    mkdirSync(project);
    const hidden = listHiddenPaths({
      env: {
        AWS_SHARED_CREDENTIALS_FILE: join(home, "elsewhere/creds"),
        AWS_WEB_IDENTITY_TOKEN_FILE: join(home, "elsewhere/token"),
        AWS_CONFIG_FILE: "/dev/null",
      },
      homedir: home,
      cwd: project,
      logPath: join(home, "logs/sessions.jsonl"),
    });
    expect(hidden.directories.sort()).toEqual(
      [join(home, ".aws"), join(home, ".local/state/taskaccess"), join(home, "logs")].sort(),
    );
    expect(hidden.files.sort()).toEqual(
      [join(home, "elsewhere/creds"), join(home, "elsewhere/token")].sort(),
    );
  });

  it("keeps the working directory visible: a log beside it is hidden with its locks, not the project", () => {
    const project = join(home, "project");
    mkdirSync(join(project, "src"), { recursive: true });
    writeFileSync(join(project, "sessions.jsonl"), "");
    writeFileSync(join(project, "sessions.jsonl.lock"), "");
    writeFileSync(join(project, "deploy.sh"), "");
    const hidden = listHiddenPaths({
      env: {},
      homedir: home,
      cwd: join(project, "src"),
      logPath: join(project, "sessions.jsonl"),
    });
    expect(hidden.directories).toEqual([]);
    expect(hidden.files.sort()).toEqual([
      join(project, "sessions.jsonl"),
      join(project, "sessions.jsonl.lock"),
    ]);
  });

  it("hides what ~/.aws holds but the way to the working directory when the command runs inside it", () => {
    mkdirSync(join(home, ".aws/sso/cache"), { recursive: true });
    mkdirSync(join(home, ".aws/work"), { recursive: true });
    writeFileSync(join(home, ".aws/credentials"), "[default]\n");
    const hidden = listHiddenPaths({ env: {}, homedir: home, cwd: join(home, ".aws/work") });
    expect(hidden.directories).toEqual([join(home, ".aws/sso")]);
    expect(hidden.files).toEqual([join(home, ".aws/credentials")]);
  });
});

describe("decideIsolation", () => {
  const unavailable = () => ({
    available: false,
    reason: "bubblewrap (bwrap) is not installed",
    hint: "install it",
  });
  const available = () => ({ available: true });

  it("auto isolates where it can and otherwise warns, naming what the command can reach", () => {
    expect(decideIsolation("auto", available)).toEqual({ applied: "namespace" });
    const fallback = decideIsolation("auto", unavailable);
    expect(fallback.applied).toBe("none");
    expect(fallback.warning).toContain("bubblewrap (bwrap) is not installed");
    expect(fallback.warning).toContain("the base credentials");
  });

  it("namespace fails closed with exit 71 and the hint", () => {
    let thrown: unknown;
    try {
      decideIsolation("namespace", unavailable);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TaskAccessError);
    expect((thrown as TaskAccessError).exitCode).toBe(ExitCode.isolation);
    expect((thrown as TaskAccessError).message).toBe(
      "cannot isolate the command: bubblewrap (bwrap) is not installed",
    );
    expect((thrown as TaskAccessError).hint).toContain("taskaccess doctor");
  });

  it("none never probes", () => {
    expect(
      decideIsolation("none", () => {
        throw new Error("probed");
      }),
    ).toEqual({ applied: "none" });
  });

  it("refuses an unknown mode", () => {
    expect(() => parseIsolationMode("container")).toThrow(/not an isolation mode/);
  });
});

describe("bwrapArgv", () => {
  it("drops every capability (no unmounting what hides the secrets) and starts a new session (no TIOCSTI)", () => {
    const argv = bwrapArgv({
      bwrap: "/usr/bin/bwrap",
      hidden: { directories: ["/h/.aws"], files: ["/h/creds"] },
      uid: 1001,
      gid: 1002,
    });
    expect(argv.join(" ")).toBe(
      "/usr/bin/bwrap --unshare-user --unshare-pid --die-with-parent --cap-drop ALL --dev-bind / / --proc /proc --new-session --tmpfs /h/.aws --ro-bind /dev/null /h/creds --uid 1001 --gid 1002 --json-status-fd 3 --",
    );
  });
});
