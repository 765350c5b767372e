import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { acknowledgeableRules, UNACKNOWLEDGEABLE_RULES } from "../../src/policy/rule-ids.js";
import { REPO_ROOT } from "../helpers/run-cli.js";

describe("docs/task-file.md", () => {
  it("lists every rule in the table of rules, with a failing example and a fix", () => {
    const docs = readFileSync(join(REPO_ROOT, "docs/task-file.md"), "utf8");
    const rows = new Map(
      docs
        .split("\n")
        .filter((line) => /^\| `[a-z-]+` \| (error|warning)/.test(line))
        .map((line) => [line.split("`")[1] ?? "", line.split(" | ")] as const),
    );
    const all = [
      ...acknowledgeableRules(),
      ...UNACKNOWLEDGEABLE_RULES,
      "unknown-acknowledgement",
      "unused-acknowledgement",
    ];
    for (const rule of all) {
      const cells = rows.get(rule);
      expect(cells, rule).toBeDefined();
      expect(cells?.length, rule).toBe(4);
      expect(cells?.[2]?.trim().length, `${rule}: failing example`).toBeGreaterThan(5);
      expect(cells?.[3]?.trim().length, `${rule}: fix`).toBeGreaterThan(5);
    }
    expect([...rows.keys()].sort()).toEqual([...all].sort());
  });
});
