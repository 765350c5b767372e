// `run TASK` with no command (src/session/interactive-shell.ts): the user's shell, for a person at
// a terminal only; and how an isolated shell gets a terminal of its own (shell-terminal.ts). The
// shell in a real pseudo-terminal: test/e2e/run-terminal.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode, UsageError } from "../../src/errors.js";
import { runsInCi } from "../../src/session/ci.js";
import { chooseCommand } from "../../src/session/interactive-shell.js";
import { prepareIsolation } from "../../src/session/prepare-isolation.js";
import { findScript, isPlainPath } from "../../src/session/shell-terminal.js";

const HINT = "write the command after --: taskaccess run TASK -- ./deploy.sh";

function refusal(run: () => unknown): { message: string; hint: string | undefined; exitCode: number } {
  try {
    run();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return { message: error.message, hint: error.hint, exitCode: error.exitCode };
  }
  throw new Error("not refused");
}

describe("chooseCommand", () => {
  it("takes the words after -- as they are", () => {
    expect(
      chooseCommand({ command: ["./deploy.sh", "-v"], commandOptional: false, terminal: true, env: {} }),
    ).toEqual({ command: "./deploy.sh", args: ["-v"], interactive: false });
  });

  it("starts $SHELL, else /bin/sh, when none is given on a terminal", () => {
    const request = { command: [], commandOptional: false, terminal: true };
    expect(chooseCommand({ ...request, env: { SHELL: "/usr/bin/zsh" } })).toEqual({
      command: "/usr/bin/zsh",
      args: [],
      interactive: true,
    });
    expect(chooseCommand({ ...request, env: {} }).command).toBe("/bin/sh");
    expect(chooseCommand({ ...request, env: { SHELL: "" } }).command).toBe("/bin/sh");
  });

  it("--print-env needs no command and starts no shell", () => {
    expect(chooseCommand({ command: [], commandOptional: true, terminal: true, env: {} })).toEqual({
      command: "",
      args: [],
      interactive: false,
    });
  });

  it("refuses when stdin or stderr is not a terminal: exit 64, give a command", () => {
    expect(
      refusal(() => chooseCommand({ command: [], commandOptional: false, terminal: false, env: {} })),
    ).toEqual({
      message: "no command to run",
      hint: `${HINT} (without one, run starts $SHELL only when stdin and stderr are a terminal)`,
      exitCode: ExitCode.usage,
    });
  });

  it.each([[{ CI: "true" }], [{ CI: "1" }], [{ GITHUB_ACTIONS: "true" }], [{ GITLAB_CI: "true" }]])(
    "refuses in CI even on a terminal (%o)",
    (env) => {
      expect(
        refusal(() => chooseCommand({ command: [], commandOptional: false, terminal: true, env })),
      ).toEqual({ message: "no command to run, and no interactive shell in CI", hint: HINT, exitCode: 64 });
    },
  );
});

describe("runsInCi", () => {
  it.each([
    [{}, false],
    [{ CI: "" }, false],
    [{ CI: "false" }, false],
    [{ CI: "0" }, false],
    [{ CI: "true" }, true],
    [{ CI: "TRUE" }, true],
    [{ BUILDKITE: "true" }, true],
  ])("%o: %s", (env, expected) => {
    expect(runsInCi(env)).toBe(expected);
  });
});

describe("an isolated interactive shell", () => {
  const base = {
    requested: "namespace" as const,
    probe: () => ({ available: true, bwrap: "/usr/bin/bwrap" }),
    env: {},
    homedir: "/nonexistent-home",
    cwd: "/",
    uid: 1000,
    gid: 1000,
  };

  it("gets a terminal of its own from script(1), in a new session", () => {
    const prepared = prepareIsolation({ ...base, shell: "/bin/bash", findScript: () => "/usr/bin/script" });
    expect(prepared.applied).toBe("namespace");
    const wrapper = prepared.wrapper?.join(" ") ?? "";
    expect(wrapper).toMatch(/^\/usr\/bin\/bwrap --unshare-user --unshare-pid .*--new-session /);
    expect(wrapper).toMatch(/ -- \/usr\/bin\/script -q -e -O \/dev\/null -c$/);
  });

  it("without script(1), or with a shell path a shell would re-parse, runs like any command: in a new session too", () => {
    for (const prepared of [
      prepareIsolation({ ...base, shell: "/bin/bash", findScript: () => undefined }),
      prepareIsolation({ ...base, shell: "/opt/my shell/bash", findScript: () => "/usr/bin/script" }),
      prepareIsolation({ ...base, findScript: () => "/usr/bin/script" }),
    ]) {
      expect(prepared.wrapper?.at(-1)).toBe("--");
      expect(prepared.wrapper).toContain("--new-session");
    }
  });

  it("isPlainPath: letters, digits and ._/+- only", () => {
    expect(
      ["/bin/sh", "/usr/local/bin/fish", "bash", "/nix/store/x-bash-5.2/bin/bash"].map(isPlainPath),
    ).toEqual([true, true, true, true]);
    expect(["/a b/sh", "/bin/sh;id", "$(id)", "'/bin/sh'"].map(isPlainPath)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it("findScript takes the first executable candidate only", () => {
    const dir = mkdtempSync(join(tmpdir(), "taskaccess-script-"));
    try {
      writeFileSync(join(dir, "plain"), "", { mode: 0o644 });
      writeFileSync(join(dir, "script"), "", { mode: 0o755 });
      expect(findScript([join(dir, "missing"), join(dir, "plain"), join(dir, "script")])).toBe(
        join(dir, "script"),
      );
      expect(findScript([join(dir, "missing")])).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
