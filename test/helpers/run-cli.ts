import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../../src/cli/main.js";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const BIN = join(REPO_ROOT, "bin/taskaccess");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
}

// Runs bin/taskaccess as a real process, the way a user or CI does.
export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries({
      ...process.env,
      NO_COLOR: "1",
      FORCE_COLOR: undefined,
      ...options.env,
    })) {
      if (value !== undefined) env[key] = value;
    }
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

// Runs the CLI in-process through main(), with captured output.
export async function runInProcess(args: string[], options: RunOptions = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(["node", "taskaccess", ...args], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: { NO_COLOR: "1", ...options.env },
    cwd: options.cwd ?? REPO_ROOT,
    stdoutIsTTY: false,
    stderrIsTTY: false,
  });
  return { code, signal: null, stdout, stderr };
}

// A fresh directory holding the given files, for one test.
export function makeProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "taskaccess-test-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}
