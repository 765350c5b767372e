// `taskaccess completion bash|zsh|fish`: each script is generated, then run in its shell the way
// the shell's completion system calls it, with bin/taskaccess on PATH so that task names come from
// a temporary task file. zsh and fish are used when installed (`command -v`); without them their
// scripts are checked by content only. bin/taskaccess runs dist/: `npm run build` first.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { makeProject, REPO_ROOT, runCli } from "../helpers/run-cli.js";
import { VALID_TASK_FILE } from "../helpers/task-files.js";

const PATH = `${join(REPO_ROOT, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`;
const OTHER_TASKS = VALID_TASK_FILE.replace("  deploy:", "  release:").replace("  read-logs:", "  audit:");

function installed(shell: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${shell}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function shell(program: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { cwd, env: { PATH, HOME: cwd, NO_COLOR: "1" }, encoding: "utf8", timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${program} failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

let cwd: string;
const scripts: Record<string, string> = {};
beforeAll(async () => {
  cwd = makeProject({ "taskaccess.yaml": VALID_TASK_FILE, "other.yaml": OTHER_TASKS });
  for (const name of ["bash", "zsh", "fish"]) {
    const result = await runCli(["completion", name], { cwd });
    expect(result.code, result.stderr).toBe(0);
    scripts[name] = result.stdout;
    writeFileSync(join(cwd, `completion.${name}`), result.stdout);
  }
  mkdirSync(join(cwd, "fp"));
  writeFileSync(join(cwd, "fp", "_taskaccess"), scripts.zsh ?? "");
  writeFileSync(join(cwd, "capture.zsh"), ZPTY_CAPTURE);
});

// The words a line completes to, by the shell's own rules; each case is [line, expected words].
const CASES: Array<[string, string[]]> = [
  ["taskaccess va", ["validate"]],
  ["taskaccess lo", ["log"]],
  ["taskaccess run ", ["deploy", "read-logs"]],
  ["taskaccess run re", ["read-logs"]],
  ["taskaccess explain ", ["deploy", "read-logs"]],
  ["taskaccess -f other.yaml run ", ["audit", "release"]],
  ["taskaccess run --pa", ["--param"]],
  ["taskaccess run deploy --qu", ["--quiet"]],
  ["taskaccess run --param version=1.2.3 ", ["deploy", "read-logs"]],
  ["taskaccess run --mfa", ["--mfa-serial", "--mfa-token"]],
  ["taskaccess run --dur", ["--duration"]],
  ["taskaccess run --duration 15m --mfa-token 123456 ", ["deploy", "read-logs"]],
  ["taskaccess run deploy --credentials ", ["env", "file", "server"]],
  ["taskaccess run deploy --param ", ["version="]],
  ["taskaccess run deploy -p ve", ["version="]],
  ["taskaccess explain deploy --param ", ["version="]],
  ["taskaccess run deploy ", ["--"]],
  ["taskaccess log ", ["show", "verify"]],
  ["taskaccess log show --j", ["--json"]],
  ["taskaccess log --task ", ["deploy", "read-logs"]],
  ["taskaccess completion ", ["bash", "fish", "zsh"]],
  ["taskaccess sandbox --wo", ["--world"]],
];

describe("taskaccess completion", () => {
  it("prints the task names of the task file for the scripts, honouring --file", async () => {
    expect((await runCli(["completion", "--tasks"], { cwd })).stdout).toBe("deploy\nread-logs\n");
    expect((await runCli(["--file", "other.yaml", "completion", "--tasks"], { cwd })).stdout).toBe(
      "release\naudit\n",
    );
  });

  it("prints a task's parameters as name= for --param, and nothing for an unknown task", async () => {
    expect((await runCli(["completion", "--params", "deploy"], { cwd })).stdout).toBe("version=\n");
    expect((await runCli(["completion", "--params", "nosuch"], { cwd })).stdout).toBe("");
  });

  it("refuses a missing or unknown shell with exit 64, and prints { shell, script } with --json", async () => {
    expect((await runCli(["completion"], { cwd })).code).toBe(64);
    const tcsh = await runCli(["completion", "tcsh"], { cwd });
    expect(tcsh.code).toBe(64);
    expect(tcsh.stderr).toContain('no completion for the shell "tcsh"');
    const json = await runCli(["completion", "fish", "--json"], { cwd });
    expect(JSON.parse(json.stdout)).toEqual({ shell: "fish", script: scripts.fish });
  });

  it("knows every command, subcommand and flag of the program", () => {
    for (const [name, script] of Object.entries(scripts)) {
      for (const word of ["validate", "explain", "list", "init", "run", "revoke", "gc", "sandbox", "demo"]) {
        expect(script).toContain(word);
      }
      for (const flag of [
        "--param",
        "--reason",
        "--credentials",
        "--print-env",
        "--pending",
        "--since",
        "--strict",
      ]) {
        // fish spells a long flag `-l name`.
        expect(script).toContain(name === "fish" ? `-l ${flag.slice(2)} ` : flag);
      }
      expect(script).toContain("show");
      expect(script).toContain("verify");
      expect(script).toContain("completion --tasks");
    }
    expect(scripts.bash).toContain("complete -o default -o bashdefault -F _taskaccess taskaccess");
    expect(scripts.zsh?.startsWith("#compdef taskaccess\n")).toBe(true);
    expect(scripts.fish).toContain("complete -c taskaccess -f\n");
  });

  describe("bash: the completion function with COMP_WORDS and COMP_CWORD as bash sets them", () => {
    // bash splits words at COMP_WORDBREAKS, so `version=1.2.3` arrives as three words.
    const words = (line: string) =>
      line
        .replace(/=/g, " = ")
        .split(" ")
        .filter((word, index, all) => word !== "" || index === all.length - 1);
    it.concurrent.each(CASES)("%j completes to %j", async (line, expected) => {
      const list = words(line);
      const program = [
        "source ./completion.bash",
        `COMP_WORDS=(${list.map((word) => `'${word}'`).join(" ")})`,
        `COMP_CWORD=${list.length - 1}`,
        "_taskaccess",
        'printf "%s\\n" "${COMPREPLY[@]}"',
      ].join("\n");
      const out = await shell("bash", ["--norc", "--noprofile", "-c", program], cwd);
      expect(out.split("\n").filter(Boolean).sort()).toEqual([...expected].sort());
    });
    it("completes the command after -- with command names, and a file after --log", async () => {
      const program = [
        "source ./completion.bash",
        "COMP_WORDS=(taskaccess run deploy -- printen); COMP_CWORD=4; _taskaccess",
        'printf "%s\\n" "${COMPREPLY[@]}"',
        "COMP_WORDS=(taskaccess log --log oth); COMP_CWORD=3; _taskaccess",
        'printf "%s\\n" "${COMPREPLY[@]}"',
      ].join("\n");
      const out = await shell("bash", ["--norc", "--noprofile", "-c", program], cwd);
      expect(out.split("\n")).toContain("printenv");
      expect(out.split("\n")).toContain("other.yaml");
    });
  });

  describe.runIf(installed("fish"))("fish: `complete -C` on the sourced script", () => {
    it.concurrent.each(CASES)("%j completes to %j", async (line, expected) => {
      const program = `source ./completion.fish; complete -C ${fishQuote(line)} | string split -f1 \\t; true`;
      const out = await shell("fish", ["--no-config", "-c", program], cwd);
      expect(out.split("\n").filter(Boolean).sort()).toEqual([...expected].sort());
    });
  });

  describe.runIf(installed("zsh"))("zsh: the real completion system, in a pseudo-terminal", () => {
    // compinit in an interactive zsh under zpty; compadd is wrapped to record what is offered.
    it.concurrent.each(CASES)("%j completes to %j", async (line, expected) => {
      const out = await shell("zsh", ["-f", "./capture.zsh", line], cwd);
      expect([...new Set(out.split("\n").filter(Boolean))].sort()).toEqual([...expected].sort());
    });
  });

  it.runIf(!installed("zsh") || !installed("fish"))("zsh and fish scripts have their shells' shape", () => {
    expect(scripts.zsh).toMatch(/\n_taskaccess\(\) \{\n[\s\S]*\n\}\n/);
    expect(scripts.zsh).toContain("compdef _taskaccess taskaccess");
    expect(scripts.fish).toMatch(/\nfunction __taskaccess_parse\n[\s\S]*?\nend\n/);
    expect(scripts.fish).toContain("-a '(__taskaccess_tasks)'");
    expect(scripts.fish).toContain("-a '(__taskaccess_params)'");
    expect(scripts.zsh).toContain('_taskaccess_params "$file" "$task"');
  });

  it.runIf(installed("zsh"))("the zsh script is valid zsh (zsh -n)", async () => {
    await shell("zsh", ["-n", "./completion.zsh"], cwd);
  });
  it.runIf(installed("fish"))("the fish script is valid fish (fish -n)", async () => {
    await shell("fish", ["--no-config", "-n", "./completion.fish"], cwd);
  });
});

function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

// A zsh program that starts an interactive zsh in a pseudo-terminal, loads fp/_taskaccess (the
// script) from fpath with compinit, types $1 and TAB, and prints every match given to compadd.
const ZPTY_CAPTURE = [
  "zmodload zsh/zpty",
  "hits=$PWD/hits.$$",
  ": > $hits",
  "zpty z zsh -f -i",
  "zpty -w z \"PROMPT=''; HITS=$hits; fpath=($PWD/fp \\$fpath); autoload -U compinit; compinit -u -D\"",
  'zpty -w z \'compadd () { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd "$@"; return; fi; typeset -a found; builtin compadd -A found "$@"; print -rl -- $found >> $HITS; builtin compadd "$@" }\'',
  "zpty -w z \"bindkey '^I' complete-word\"",
  // Wait for the prompt: ZLE does not complete while more typed input is pending.
  "zpty -w z \"print -r -- RE''ADY\"",
  "zpty -r z out '*READY*'",
  "zpty -n -w z \"$1\"$'\\t'",
  "for i in {1..200}; do [[ -s $hits ]] && break; sleep 0.05; done",
  "sleep 0.2",
  "zpty -w z $'\\C-u'",
  // Typed as DO''NE, so only its output, not the echo of the typing, matches.
  "zpty -w z \"print -r -- DO''NE\"",
  "zpty -r z out '*DONE*'",
  "zpty -d z",
  "cat $hits",
  "rm -f $hits",
].join("\n");
