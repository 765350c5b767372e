// Patterns that can backtrack catastrophically are refused (issue 10: `(a|a)+` passed `validate`,
// and `explain` with a 33-character value ran for more than 20 s); the patterns people write,
// in examples/, docs/task-file.md and the tests, pass.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { findBacktrackingHazard, MAX_BACKTRACKING_STEPS } from "../../src/task/regex-safety.js";
import { makeProject, REPO_ROOT, runInProcess } from "../helpers/run-cli.js";

const REFUSED: Array<[string, string]> = [
  // [pattern, the part the message names]
  ["(a|a)+", "(a|a)+"],
  ["(a+)+", "(a+)+"],
  ["(\\w+\\s?)*", "(\\w+\\s?)*"],
  ["(a|aa)+", "(a|aa)+"],
  ["([a-z]+)*", "([a-z]+)*"],
  ["(.*a){12}", "(.*a){12}"],
  ["(a*)*", "(a*)*"],
  ["(\\w+\\s?)+", "(\\w+\\s?)+"],
  ["((ab)*c?)+", "((ab)*c?)+"],
  ["x(?:y+)+z", "(?:y+)+"],
  ["(a{2,})+", "(a{2,})+"],
  ["^(a|a)+$", "(a|a)+"],
  ["[0-9]+(\\.[0-9]+|\\.?[0-9]+)*", "(\\.[0-9]+|\\.?[0-9]+)*"],
  // No loop at all, but 2^25 ways through: finite is not the same as small.
  ["(?:a|a)".repeat(25), "(?:a|a)"],
  // Overlapping neighbours: polynomial, but of the fourth power on 256 characters.
  ["\\d+\\d+\\d+\\d+x", "\\d+\\d+\\d+"],
  ["(.*,){4}x", "(.*,){4}"],
  // Inside a lookahead, which runs too.
  ["(?=(a+)+b)a", "(a+)+"],
];

describe("findBacktrackingHazard refuses", () => {
  it.each(REFUSED)("%s, naming %s", (pattern, part) => {
    const hazard = findBacktrackingHazard(pattern);
    expect(hazard?.message).toContain("catastrophic backtracking");
    expect(hazard?.message).toContain(
      part === pattern ? "can match the same text in so many ways" : `has a part, ${part}, that can match`,
    );
    expect(hazard?.hint).toMatch(/a\+ rather than \(a\+\)\+/);
  });

  it("says how many steps a value could take", () => {
    expect(findBacktrackingHazard("(a|a)+")?.message).toBe(
      `can match the same text in so many ways that checking a value of up to 256 characters could take more than ${MAX_BACKTRACKING_STEPS.toLocaleString("en")} steps (catastrophic backtracking)`,
    );
  });

  it("a pattern too large to check once counted repetitions are written out", () => {
    expect(findBacktrackingHazard("(?:(?:[a-z]{100}){100})")?.message).toMatch(/too large to check/);
  });

  it("a pattern whose check would need more than the budget left", () => {
    const hazard = findBacktrackingHazard("[a-z]+(-[a-z]+)*", { remaining: 10 });
    expect(hazard?.message).toMatch(/could not be checked .* patterns together need more checking/);
  });
});

// The patterns of the docs and tests, and ordinary ones of the same kinds.
const ACCEPTED = [
  "^[0-9]+\\.[0-9]+\\.[0-9]+$",
  "[0-9]+\\.[0-9]+\\.[0-9]+",
  "^[a-z0-9-]+$",
  "^([a-z0-9-]+/)+$",
  "(?:[a-z0-9-]+/)+(?:[a-z0-9._-]+|[*])",
  "[a-z0-9-]+/([a-z0-9._-]+|[*])",
  "staging|prod",
  "dev|prod",
  "[a-z]+",
  "[a-z]+/\\*",
  "[a-z*]+",
  "[a-z0-9/*-]+",
  "[a-z]+\\*?",
  "[\\p{S}\\p{P}a-z]+",
  "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
  "\\p{L}+(-\\p{L}+)*",
  "[a-f0-9]{40}",
  "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?",
  "(?:[a-z0-9-]{1,63}\\.){1,10}[a-z]{2,63}",
  "arn:aws:s3:::[a-z0-9.-]{3,63}(/[\\w.-]+)*",
  "[0-9]{4}-[0-9]{2}-[0-9]{2}",
  "(ab)+",
  "[a-z(]+",
  "(?<name>a)+",
  "(a{1,1})+",
  "\\(a+\\)+",
  "(a)\\1",
  "(?=[a-z])[a-z0-9]+",
  // Wildcards of every kind (test/task/fuzz-params.test.ts).
  ".+",
  ".*",
  "[^/]+",
  "\\S+",
  "[ -~]+",
  "[\\s\\S]+",
  "(?:.|\\n)+",
  "[^]+",
  "[\\x20-\\x7e]+",
  "[\\u0020-\\u00ff]+",
  "\\P{L}+",
  ".{0,300}",
  "[\\w\\W]+",
  "(?:[a-z]|[^a-z])+",
  "[\\d\\D]*",
  "^.+$",
  "\\W+|\\w+",
  "[^\\w]+|.+",
  "[0-9]+\\.[0-9]+\\.[0-9]+|.+",
  ".*[*].*",
  // Overlapping neighbours of low degree: at most a few million steps on 256 characters.
  "\\d+\\d+x",
  "[a-z0-9]+-?[a-z0-9]+",
  ".+@.+",
  "\\d+\\d+\\d+",
  ".*a.*b.*",
];

describe("findBacktrackingHazard accepts", () => {
  it.each(ACCEPTED)("%s", (pattern) => {
    expect(findBacktrackingHazard(pattern)).toBeUndefined();
  });

  it("every pattern in examples/taskaccess.yaml and docs/task-file.md", () => {
    const example = readFileSync(join(REPO_ROOT, "examples/taskaccess.yaml"), "utf8");
    const docs = readFileSync(join(REPO_ROOT, "docs/task-file.md"), "utf8");
    // The YAML examples of the docs; the error output there quotes a refused pattern on purpose.
    const yamlBlocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "").join("\n");
    const documented = [...yamlBlocks.matchAll(/pattern: '([^']+)'/g)].map((m) => m[1] ?? "");
    const patterns = [...patternsIn(example), ...documented];
    expect(patterns.length).toBeGreaterThan(3);
    for (const pattern of patterns) expect(findBacktrackingHazard(pattern), pattern).toBeUndefined();
  });
});

function patternsIn(yaml: string): string[] {
  const found: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        if (key === "pattern" && typeof item === "string") found.push(item);
        else visit(item);
      }
    }
  };
  visit(parseDocument(yaml).toJS());
  return found;
}

describe("through the CLI", () => {
  // Issue 10's case: `explain` with a 33-character value ran for more than 20 s.
  it("validate and explain refuse (a|a)+ at the pattern's line and column, exit 65", async () => {
    const dir = makeProject({
      "taskaccess.yaml": `version: 1
tasks:
  t:
    description: get one object
    role: arn:aws:iam::123456789012:role/r
    params:
      p: { pattern: '(a|a)+' }
    allow:
      - actions: [s3:GetObject]
        resources: ["arn:aws:s3:::b/{{p}}"]
`,
    });
    for (const args of [["validate"], ["explain", "t", "--param", `p=${"a".repeat(32)}!`]]) {
      const result = await runInProcess(args, { cwd: dir });
      expect(result.code).toBe(65);
      expect(result.stderr).toContain(
        "taskaccess.yaml:7:21: error: `tasks.t.params.p.pattern` can match the same text in so many ways",
      );
      expect(result.stderr).toContain("hint: let each character be matched in only one way");
    }
  });
});
