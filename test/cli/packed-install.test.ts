// The package as a user gets it: `npm pack` of this checkout, installed with `npm install -g` into a
// temporary prefix (its dependencies come from the npm registry), then run from a directory outside
// the repository. Catches a file that a command reads at run time but package.json's "files" leaves
// out. One pack and one install per run; bin/taskaccess runs dist/: `npm run build` first.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/run-cli.js";

const INSTALL_TIMEOUT_MS = 10 * 60_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// Runs a program to its end with the output collected; never rejects on a non-zero exit.
function run(
  program: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd,
      env: { ...env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

// The environment of a user who has no AWS set-up at all.
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("AWS_")) env[name] = value;
  return env;
}

let temp = "";
let bin = "";
let work = "";

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), "taskaccess-packed-"));
  const packDir = join(temp, "pack");
  const prefix = join(temp, "prefix");
  work = join(temp, "work");
  for (const dir of [packDir, prefix, work]) mkdirSync(dir);
  // --ignore-scripts: the tests' global set-up has built dist/ already; `prepare` would build again.
  const pack = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", packDir], REPO_ROOT);
  expect(pack.code, pack.stderr).toBe(0);
  const tarball = readdirSync(packDir).find((name) => name.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack wrote no tarball: ${pack.stdout}${pack.stderr}`);
  const install = await run(
    "npm",
    ["install", "-g", "--prefix", prefix, "--no-audit", "--no-fund", join(packDir, tarball)],
    work,
  );
  expect(install.code, install.stderr).toBe(0);
  bin = join(prefix, "bin/taskaccess");
}, INSTALL_TIMEOUT_MS);

afterAll(() => {
  if (temp) rmSync(temp, { recursive: true, force: true });
});

describe("the packed package, installed globally", () => {
  it("is installed outside the repository with the schema the starter file names", () => {
    expect(work.startsWith(REPO_ROOT)).toBe(false);
    expect(existsSync(bin)).toBe(true);
    const installed = join(temp, "prefix/lib/node_modules/taskaccess");
    expect(existsSync(join(installed, "schema/taskaccess.schema.json"))).toBe(true);
    expect(existsSync(join(installed, "examples/taskaccess.yaml"))).toBe(true);
  });

  it("prints its version", async () => {
    const result = await run(bin, ["--version"], work, userEnv());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("writes a starter file and validates it", async () => {
    const init = await run(bin, ["init"], work, userEnv());
    expect(init.code, init.stderr).toBe(0);
    const validate = await run(bin, ["validate"], work, userEnv());
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain("taskaccess.yaml: 1 task checked, ok");
  });

  it("runs the demo", async () => {
    const result = await run(bin, ["demo"], work, userEnv());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("[child] PUT s3://releases/app/1.4.2/app.tar.gz -> 200 OK");
    expect(result.stdout).toMatch(/chain intact, head [0-9a-f]{64}/);
  }, 120_000);
});
