import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeTaskFile } from "../../src/policy/analyze-task-file.js";
import type { Finding } from "../../src/policy/finding.js";
import { parseTaskFile } from "../../src/task/load-task-file.js";
import { expectGolden } from "../helpers/golden.js";

// Realistic task files, correct and broken. Each says on its `# expect:` line which rules it is
// meant to raise (reviewed by hand); its golden file holds every finding as validate reports it.
const CORPUS = join(import.meta.dirname, "corpus");
const GOLDEN = join(import.meta.dirname, "golden", "corpus");
const FILES = readdirSync(CORPUS).filter((name) => name.endsWith(".yaml"));

function expectedRules(text: string): string[] {
  const line = /^# expect: (.*)$/m.exec(text)?.[1] ?? "";
  if (line === "none") return [];
  return line.split(",").map((rule) => rule.replace(/\(acknowledged\)/, "").trim());
}

function matches(pattern: string, rule: string): boolean {
  return pattern.endsWith("*") ? rule.startsWith(pattern.slice(0, -1)) : pattern === rule;
}

function render(finding: Finding): string {
  const at = finding.location ? `${finding.location.line}:${finding.location.column}` : "-";
  const mark = finding.acknowledged === undefined ? finding.severity : "acknowledged";
  return `${at} ${mark}[${finding.rule}] ${finding.message}`;
}

describe("lint corpus", () => {
  it("holds at least 40 task files", () => {
    expect(FILES.length).toBeGreaterThanOrEqual(40);
  });
  for (const name of FILES) {
    it(name, async () => {
      const text = readFileSync(join(CORPUS, name), "utf8");
      const analyses = await analyzeTaskFile(parseTaskFile(name, text));
      const findings = analyses.flatMap((analysis) => analysis.findings);
      const expected = expectedRules(text);
      const rules = [...new Set(findings.map((finding) => finding.rule))];
      for (const rule of rules)
        expect(
          expected.some((pattern) => matches(pattern, rule)),
          `unexpected ${rule}`,
        ).toBe(true);
      for (const pattern of expected)
        expect(
          rules.some((rule) => matches(pattern, rule)),
          `missing ${pattern}`,
        ).toBe(true);
      const lines = analyses.flatMap((analysis) => [
        `task ${analysis.task.name}`,
        ...analysis.findings.map(render),
      ]);
      expectGolden(join(GOLDEN, name.replace(/\.yaml$/, ".txt")), `${lines.join("\n")}\n`);
    });
  }
});
