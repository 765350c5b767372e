// Issue 10: taskaccess warns when the task file it reads belongs to another user, or lies where
// others can write (the file itself, or its directory without the sticky bit).
import { chmodSync, chownSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTaskFile } from "../../src/task/load-task-file.js";
import { trustFindings } from "../../src/task/task-file-trust.js";
import { runInProcess } from "../helpers/run-cli.js";
import { VALID_TASK_FILE } from "../helpers/task-files.js";

const ME = 1000;
const PRIVATE_DIR = { uid: ME, mode: 0o40755 };
const MY_FILE = { uid: ME, mode: 0o100644 };

describe("trustFindings", () => {
  it("says nothing for my own file in my own directory, or a root-owned one", () => {
    expect(trustFindings("taskaccess.yaml", MY_FILE, PRIVATE_DIR, ME)).toEqual([]);
    expect(
      trustFindings("taskaccess.yaml", { uid: 0, mode: 0o100644 }, { uid: 0, mode: 0o40755 }, ME),
    ).toEqual([]);
  });

  it("warns about a file that belongs to another user, also when running as root", () => {
    const [finding] = trustFindings("../taskaccess.yaml", { uid: 65534, mode: 0o100644 }, PRIVATE_DIR, 0);
    expect(finding).toMatchObject({
      rule: "task-file-owner",
      severity: "warning",
      message: "../taskaccess.yaml belongs to another user (uid 65534; you are uid 0)",
    });
    expect(finding?.why).toMatch(/chooses which role taskaccess assumes/);
    expect(finding?.hint).toMatch(/--file PATH/);
  });

  it("warns about a directory others can write without the sticky bit", () => {
    const [finding] = trustFindings("/tmp/x/taskaccess.yaml", MY_FILE, { uid: ME, mode: 0o40777 }, ME);
    expect(finding).toMatchObject({
      rule: "task-file-writable",
      severity: "warning",
      message:
        "/tmp/x/taskaccess.yaml is in a directory that its group and every other user can write, without the sticky bit (/tmp/x): they can replace the file",
      hint: "chmod go-w /tmp/x, or keep the task file in a directory only you can write",
    });
    expect(trustFindings("t.yaml", MY_FILE, { uid: ME, mode: 0o40775 }, ME)[0]?.message).toMatch(
      /a directory that its group can write/,
    );
    expect(trustFindings("t.yaml", MY_FILE, { uid: 0, mode: 0o41777 }, ME)).toEqual([]);
  });

  it("warns about a file others can write", () => {
    expect(trustFindings("t.yaml", { uid: ME, mode: 0o100666 }, PRIVATE_DIR, ME)).toEqual([
      expect.objectContaining({
        rule: "task-file-writable",
        message: "t.yaml can be written by its group and every other user",
        hint: "chmod go-w t.yaml",
      }),
    ]);
  });
});

function project(dirMode: number): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "taskaccess-trust-"));
  const file = join(dir, "taskaccess.yaml");
  writeFileSync(file, VALID_TASK_FILE);
  chmodSync(file, 0o644);
  chmodSync(dir, dirMode);
  return { dir, file };
}

describe("loadTaskFile and the CLI", () => {
  it("warn about a task file in a world-writable directory (0777, no sticky bit)", async () => {
    const { dir, file } = project(0o777);
    const loaded = await loadTaskFile(file, "taskaccess.yaml");
    expect(loaded.warnings?.map((w) => w.rule)).toEqual(["task-file-writable"]);
    const validate = await runInProcess(["validate"], { cwd: dir });
    expect(validate.code).toBe(0);
    expect(validate.stderr).toContain(
      "warning[task-file-writable]: taskaccess.yaml is in a directory that its group and every other user can write, without the sticky bit (.): they can replace the file",
    );
    const explain = await runInProcess(["explain", "read-logs", "--json"], { cwd: dir });
    expect(explain.code).toBe(0);
    expect(explain.stderr).toContain("warning[task-file-writable]");
    expect(() => JSON.parse(explain.stdout)).not.toThrow();
  });

  it("say nothing for a private directory, or a world-writable one with the sticky bit", async () => {
    for (const mode of [0o700, 0o1777]) {
      const { dir, file } = project(mode);
      expect((await loadTaskFile(file)).warnings).toEqual([]);
      expect((await runInProcess(["validate"], { cwd: dir })).stderr).toBe("");
    }
  });

  it.skipIf(process.getuid?.() !== 0)(
    "warn, when running as root, about a file owned by uid 65534",
    async () => {
      const { dir, file } = project(0o755);
      chownSync(file, 65534, 65534);
      const loaded = await loadTaskFile(file, "taskaccess.yaml");
      expect(loaded.warnings).toEqual([
        expect.objectContaining({
          rule: "task-file-owner",
          message: "taskaccess.yaml belongs to another user (uid 65534; you are uid 0)",
        }),
      ]);
      expect((await runInProcess(["validate"], { cwd: dir })).stderr).toContain("warning[task-file-owner]");
    },
  );
});
