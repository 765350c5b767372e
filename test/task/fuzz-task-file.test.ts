// Property-based tests of the task-file parser against random and adversarial YAML (issue 5, "Bad
// input"): every input ends in a TaskFile, or in a TaskFileError (exit 65) whose diagnostics all
// point at a place in the file; never another exception, never a hang.
// Known bugs are recorded as `it.fails` with a comment naming the bug, so the suite stays green.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDocument, stringify } from "yaml";
import { TaskAccessError } from "../../src/errors.js";
import { evaluateRequest, parsePolicyDocument } from "../../src/iam/index.js";
import { renderSessionPolicy } from "../../src/policy/render-policy.js";
import { MAX_TASK_FILE_BYTES, parseTaskFile } from "../../src/task/load-task-file.js";
import type { TaskFile } from "../../src/task/model.js";
import { MAX_PARAMS, MAX_TASKS } from "../../src/task/schema.js";
import { TaskFileError } from "../../src/task/task-file-error.js";
import { MAX_ALIAS_COUNT } from "../../src/task/yaml-document.js";
import { parseWithDeadline } from "../fixtures/fuzz/run-with-deadline.js";
import { REPO_ROOT } from "../helpers/run-cli.js";

const EXAMPLE = readFileSync(join(REPO_ROOT, "examples/taskaccess.yaml"), "utf8");
const FILE = "fuzz.yaml";
/** Per case; the issue asks for "never a hang", and a task file is a few kilobytes. */
const CASE_BUDGET_MS = 2000;
const ROLE = "arn:aws:iam::123456789012:role/deployer";

// The role's own policy in evaluator checks: everything, so that the session policy alone decides.
const admin = {
  name: "admin",
  document: parsePolicyDocument(
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
  ),
};

type Outcome = { kind: "ok"; file: TaskFile } | { kind: "refused"; error: TaskFileError };

// The property every input must satisfy; returns what happened so that callers can check more.
function parseCleanly(text: string): Outcome {
  const started = performance.now();
  let outcome: Outcome;
  try {
    outcome = { kind: "ok", file: parseTaskFile(FILE, text) };
  } catch (error) {
    if (!(error instanceof TaskAccessError)) {
      throw new Error(`parseTaskFile threw a non-TaskAccessError: ${String(error)}`, { cause: error });
    }
    expect([64, 65]).toContain(error.exitCode);
    expect(error, `a ${error.name} carries no diagnostics`).toBeInstanceOf(TaskFileError);
    outcome = { kind: "refused", error: error as TaskFileError };
    expectLocated(outcome.error, text);
  }
  const elapsed = performance.now() - started;
  expect(elapsed, `parsing took ${elapsed.toFixed(0)} ms`).toBeLessThan(CASE_BUDGET_MS);
  if (outcome.kind === "ok") expect(outcome.file.tasks.length).toBeGreaterThan(0);
  return outcome;
}

// Every diagnostic has a message and a location inside the text; the one exception is the size
// limit, which is documented as not tied to a place ("Errors not tied to a place ... have no location").
function expectLocated(error: TaskFileError, text: string): void {
  expect(error.diagnostics.length).toBeGreaterThan(0);
  const lines = text.split("\n");
  for (const diagnostic of error.diagnostics) {
    expect(typeof diagnostic.message).toBe("string");
    expect(diagnostic.message.length).toBeGreaterThan(0);
    expect(diagnostic.message).not.toContain("[object Object]");
    if (Buffer.byteLength(text) > MAX_TASK_FILE_BYTES) continue;
    const location = diagnostic.location;
    expect(location, `no location for "${diagnostic.message}"`).toBeDefined();
    if (!location) continue;
    expect(location.file).toBe(FILE);
    expect(location.line).toBeGreaterThanOrEqual(1);
    expect(location.column).toBeGreaterThanOrEqual(1);
    expect(location.length).toBeGreaterThanOrEqual(1);
    expect(location.line).toBeLessThanOrEqual(lines.length);
    const lineText = (lines[location.line - 1] ?? "").replace(/\r$/, "");
    expect(location.lineText).toBe(lineText);
    // At most one past the end of the line (the newline itself, or the \r before it).
    expect(location.column).toBeLessThanOrEqual(lineText.length + 2);
  }
}

function refusal(text: string): TaskFileError {
  const outcome = parseCleanly(text);
  if (outcome.kind !== "refused") throw new Error("expected the file to be refused");
  return outcome.error;
}

function messages(error: TaskFileError): string[] {
  return error.diagnostics.map((diagnostic) => diagnostic.message);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

// Characters and tokens that mean something to YAML, plus odd unicode: BOM, RTL override,
// zero-width characters, lone surrogates, NUL, NEL and the Unicode line separator.
const YAML_TOKENS = [
  ..."abzAZ019_.,/ :-[]{}&*!|>'\"#%@`?<=~+$\\",
  "\n",
  "\n",
  "\n  ",
  "\n    ",
  "\t",
  "\r\n",
  "\r",
  "\uFEFF",
  "\u202E",
  "\u200B",
  "\u200D",
  "\uD800",
  "\uDFFF",
  "\u0000",
  "\u0085",
  "\u2028",
  "é",
  "😀",
  "<<: ",
  "---\n",
  "...\n",
  "- ",
  ": ",
  "? ",
  "&a ",
  "*a",
  "!!str ",
  "!!binary ",
  "!!set ",
  "!local ",
  "%YAML 1.1\n",
  "%TAG ! tag:x,2000:\n",
  "{{",
  "}}",
  "version: 1\n",
  "tasks:\n",
  "role: ",
  "allow:\n",
  "null",
  "~",
  "true",
  "0x1F",
  "1e400",
  ".nan",
  "__proto__",
];
const yamlSoup = fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 150 }).map((parts) => parts.join(""));

const HEADERS = [
  "",
  "version: 1\n",
  "version: 1\ntasks:\n",
  "version: 1\ntasks:\n  t:\n",
  `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    allow:\n      - `,
  `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    params:\n      p: `,
];
const adversarialText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 300 }),
  yamlSoup,
  fc.tuple(fc.constantFrom(...HEADERS), yamlSoup).map(([header, body]) => header + body),
);

// Task-file-shaped documents: a valid document is generated first, then 0 to 3 of its values
// (at any depth) are replaced by a JSON value of any type, removed, or renamed to an unknown key.
// This covers "wrong types for each field" while keeping some documents valid.
const anyJson = fc.jsonValue({ maxDepth: 2 });
const OPERATORS = ["StringEquals", "StringLike", "Null", "Bool", "ForAnyValue:StringEqualsIfExists"];
const ACTIONS = ["s3:GetObject", "s3:Put*", "ec2:Describe*", "iam:PassRole", "s3:PutObjekt", "*"];
const PARAMS: Array<[string, string]> = [
  ["[a-z]+", "abc"],
  ["[0-9]+\\.[0-9]+", "1.2"],
  ["[*a-z/]+", "logs/*"],
];
const conditionBlock = fc.dictionary(
  fc.constantFrom(...OPERATORS),
  fc.dictionary(
    fc.constantFrom("aws:RequestedRegion", "s3:prefix", "aws:SecureTransport"),
    fc.oneof(
      fc.constantFrom("eu-west-1", "app/{{p}}/*", "false"),
      fc.integer(),
      fc.boolean(),
      fc.array(fc.constantFrom("a", "b", "{{p}}"), { minLength: 1, maxLength: 3 }),
    ),
    { minKeys: 1, maxKeys: 2 },
  ),
  { maxKeys: 2 },
);
const validStatement = fc.record(
  {
    sid: fc.constantFrom("Upload", "Read2"),
    actions: fc.array(fc.constantFrom(...ACTIONS), { minLength: 1, maxLength: 3 }),
    resources: fc.array(
      fc.constantFrom("arn:aws:s3:::b/*", "*", "arn:aws:s3:::b/{{p}}", "arn:aws:s3:::b/{{ p }}/x"),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
    conditions: conditionBlock,
  },
  { requiredKeys: ["actions", "resources"] },
);
const validTask = fc.record(
  {
    description: fc.string({ maxLength: 40 }),
    role: fc.constantFrom(ROLE, "arn:aws-us-gov:iam::123456789012:role/path/to/r+=,.@-"),
    region: fc.constantFrom("eu-west-1", "us-gov-west-1"),
    duration: fc.constantFrom("15m", "1h30m", 900, "43200", "12h"),
    timeout: fc.constantFrom("1s", "168h", 60),
    params: fc.constantFrom(...PARAMS).map(([pattern, value]) => ({
      p: { pattern, default: value, description: "the p" },
    })),
    allow: fc.array(validStatement, { minLength: 1, maxLength: 2 }),
    deny: fc.array(validStatement, { maxLength: 2 }),
    policyArns: fc.array(fc.constant("arn:aws:iam::aws:policy/ReadOnlyAccess"), { maxLength: 2 }),
    tags: fc.dictionary(
      fc.constantFrom("team", "Équipe 2", "cost-centre"),
      fc.constantFrom("payments", "4711"),
    ),
    reason: fc.constantFrom("required", "optional"),
  },
  { requiredKeys: ["role", "allow", "params"] },
);
const validTaskFile = fc.record(
  {
    version: fc.constant(1),
    region: fc.constantFrom("eu-west-1"),
    $schema: fc.string({ maxLength: 20 }),
    log: fc.constantFrom("sessions.jsonl", ".taskaccess/x.jsonl", "a/../x.jsonl"),
    tasks: fc.dictionary(fc.constantFrom("deploy", "db.migrate", "rotate-keys_2"), validTask, {
      minKeys: 1,
      maxKeys: 3,
    }),
  },
  { requiredKeys: ["version", "tasks"] },
);

type Change = { op: "set"; value: unknown } | { op: "delete" } | { op: "rename"; to: string };
const change: fc.Arbitrary<Change> = fc.oneof(
  { weight: 3, arbitrary: anyJson.map((value): Change => ({ op: "set", value })) },
  { weight: 1, arbitrary: fc.constant<Change>({ op: "delete" }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom("descripton", "constructor", "", "tasks", "<<", "Resources")
      .map((to): Change => ({ op: "rename", to })),
  },
);
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((item, i) => paths(item, [...prefix, i]))];
  if (value && typeof value === "object") {
    return [prefix, ...Object.entries(value).flatMap(([key, item]) => paths(item, [...prefix, key]))];
  }
  return [prefix];
}
function applyChange(data: unknown, path: ReadonlyArray<string | number>, edit: Change): unknown {
  const copy = structuredClone(data) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>;
  const last = path[path.length - 1] ?? "";
  if (edit.op === "set") parent[last] = edit.value;
  else if (edit.op === "delete") {
    if (Array.isArray(parent) && typeof last === "number") parent.splice(last, 1);
    else delete parent[last];
  } else if (!Array.isArray(parent)) {
    const value = parent[last];
    delete parent[last];
    parent[edit.to] = value;
  }
  return copy;
}
// Applies each change at a path picked (by index) among the paths of the document as it is then.
function corrupt(data: unknown, changes: ReadonlyArray<[number, Change]>): unknown {
  let result = data;
  for (const [pick, edit] of changes) {
    const candidates = paths(result).filter((path) => path.length > 0);
    const path = candidates[pick % Math.max(1, candidates.length)];
    if (path) result = applyChange(result, path, edit);
  }
  return result;
}
const corruptions = fc.array(fc.tuple(fc.nat(), change), { maxLength: 3 });
const taskFileDocument = fc
  .tuple(validTaskFile, corruptions)
  .map(([data, changes]) => corrupt(data, changes));

// Edits of the example file: characters deleted, inserted or replaced, lines duplicated, moved
// or re-indented with tabs, anchors and aliases added, a BOM or CRLF line ends.
type Edit = (source: string) => string;
const position = fc.nat();
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.tuple(position, fc.integer({ min: 1, max: 8 })).map(([at, length]) => (source: string) => {
    const i = at % (source.length + 1);
    return source.slice(0, i) + source.slice(i + length);
  }),
  fc.tuple(position, fc.constantFrom(...YAML_TOKENS)).map(([at, token]) => (source: string) => {
    const i = at % (source.length + 1);
    return source.slice(0, i) + token + source.slice(i);
  }),
  fc.tuple(position, fc.constantFrom(...YAML_TOKENS)).map(([at, token]) => (source: string) => {
    const i = at % (source.length + 1);
    return source.slice(0, i) + token + source.slice(i + 1);
  }),
  fc.tuple(position, position).map(([from, to]) => (source: string) => {
    const lines = source.split("\n");
    const line = lines[from % lines.length] ?? "";
    lines.splice(to % (lines.length + 1), 0, line);
    return lines.join("\n");
  }),
  fc.tuple(position, position).map(([a, b]) => (source: string) => {
    const lines = source.split("\n");
    const i = a % lines.length;
    const j = b % lines.length;
    [lines[i], lines[j]] = [lines[j] ?? "", lines[i] ?? ""];
    return lines.join("\n");
  }),
  position.map((at) => (source: string) => {
    const lines = source.split("\n");
    const i = at % lines.length;
    lines[i] = (lines[i] ?? "").replace(/^( +)/, (spaces) => `\t${spaces.slice(2)}`);
    return lines.join("\n");
  }),
  position.map((at) => (source: string) => {
    const lines = source.split("\n");
    lines.splice(at % lines.length, 1);
    return lines.join("\n");
  }),
  fc.constant((source: string) => `\uFEFF${source}`),
  fc.constant((source: string) => source.replace(/\n/g, "\r\n")),
  fc.constant((source: string) =>
    source.replace("role: arn", "role: &r arn").replace("deny: []", "deny: *r"),
  ),
  fc.constant((source: string) => source.replace("version: 1", "version: 1\nversion: 1")),
);

const EXAMPLE_DATA = parseDocument(EXAMPLE).toJS() as Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Properties

describe("parseTaskFile: random and adversarial text", () => {
  it("ends in a TaskFile or a located TaskFileError for arbitrary strings and YAML-ish soup", () => {
    fc.assert(
      fc.property(adversarialText, (source) => {
        parseCleanly(source);
      }),
      { numRuns: 300 },
    );
  });

  it("ends cleanly for random JSON values and objects serialized as YAML", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.object()), (value) => {
        parseCleanly(stringify(value));
      }),
      { numRuns: 150 },
    );
  });

  it("ends cleanly for task-file-shaped documents with wrong types, missing and unknown keys", () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(taskFileDocument, (value) => {
        if (parseCleanly(stringify(value)).kind === "ok") accepted++;
        else refused++;
      }),
      { numRuns: 300 },
    );
    // The generator is not just noise: it gives both valid and invalid task files.
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it("accepts every uncorrupted generated task file", () => {
    fc.assert(
      fc.property(validTaskFile, (value) => {
        expect(parseCleanly(stringify(value)).kind).toBe("ok");
      }),
      { numRuns: 100 },
    );
  });

  it("ends cleanly for flow-style (JSON) task-file documents", () => {
    fc.assert(
      fc.property(taskFileDocument, (value) => {
        parseCleanly(JSON.stringify(value));
      }),
      { numRuns: 100 },
    );
  });
});

describe("parseTaskFile: mutations of examples/taskaccess.yaml", () => {
  it("accepts the example itself", () => {
    expect(parseCleanly(EXAMPLE).kind).toBe("ok");
  });

  it("ends cleanly after 1 to 5 text edits", () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 5 }), (edits) => {
        parseCleanly(edits.reduce((source, apply) => apply(source), EXAMPLE));
      }),
      { numRuns: 300 },
    );
  });

  it("ends cleanly after a value anywhere in the tree is replaced, removed or its key renamed", () => {
    fc.assert(
      fc.property(corruptions, (changes) => {
        parseCleanly(stringify(corrupt(EXAMPLE_DATA, changes)));
      }),
      { numRuns: 200 },
    );
  });
});

describe("parseTaskFile: anchors, aliases and alias bombs", () => {
  const billionLaughs = (levels: number, width: number) => {
    const names = "abcdefghijklmnop";
    let source = `a: &a [${Array(width).fill('"lol"').join(", ")}]\n`;
    for (let i = 1; i < levels; i++) {
      source += `${names[i]}: &${names[i]} [${Array(width)
        .fill(`*${names[i - 1]}`)
        .join(", ")}]\n`;
    }
    return source;
  };

  it("refuses billion-laughs bombs at the top level and inside a task, quickly", () => {
    for (const [levels, width] of [
      [9, 9],
      [10, 10],
      [16, 2],
      [3, 60],
    ] as const) {
      const bomb = billionLaughs(levels, width);
      expect(messages(refusal(bomb)).join("\n")).toMatch(/alias/);
      const inTask = `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    allow:\n      - actions: [s3:GetObject]\n        resources: ["arn:aws:s3:::b/*"]\n        conditions:\n          StringEquals:\n${bomb
        .trimEnd()
        .split("\n")
        .map((line) => `            k${line}`)
        .join("\n")}\n`;
      expect(messages(refusal(inTask)).join("\n")).toMatch(/alias/);
    }
  });

  it("ends cleanly for random anchor/alias graphs", () => {
    const graph = fc.array(
      fc.tuple(fc.nat({ max: 6 }), fc.array(fc.nat({ max: 6 }), { maxLength: 12 }), fc.boolean()),
      { minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(graph, (nodes) => {
        const source = nodes
          .map(
            ([anchor, aliases, asKey], i) =>
              `${asKey ? `&k${i} ` : ""}n${i}: &a${anchor} [${aliases.map((a) => `*a${a}`).join(", ")}]`,
          )
          .join("\n");
        parseCleanly(source);
      }),
      { numRuns: 200 },
    );
  });

  it("accepts a file with a few aliases (below the limit)", () => {
    const source = `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    allow:\n      - actions: &get [s3:GetObject]\n        resources: ["arn:aws:s3:::b/*"]\n    deny:\n      - actions: *get\n        resources: ["arn:aws:s3:::c/*"]\n`;
    expect(parseCleanly(source).kind).toBe("ok");
  });

  const withAliases = (count: number) =>
    `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    allow:\n      - actions: [s3:GetObject]\n        resources: [&r "arn:aws:s3:::b/*"${", *r".repeat(count)}]\n`;

  it("refuses more than the alias limit with a message about alias expansions", () => {
    expect(parseCleanly(withAliases(MAX_ALIAS_COUNT - 1)).kind).toBe("ok");
    expect(messages(refusal(withAliases(MAX_ALIAS_COUNT + 1)))).toEqual([
      `too many alias expansions (more than ${MAX_ALIAS_COUNT}); the file looks like an alias bomb`,
    ]);
  });

  // Fixed, was a bug (off by one): docs/task-file.md says "more than 50 alias expansions are refused", but a
  // file with exactly 50 aliases of one anchor was refused: yaml counts the anchor itself
  // (data.count starts at 1 in yaml/dist/nodes/Alias.js), so maxAliasCount: MAX_ALIAS_COUNT in
  // src/task/yaml-document.ts allows only 49.
  it("accepts exactly MAX_ALIAS_COUNT (50) aliases, as documented", () => {
    expect(parseCleanly(withAliases(MAX_ALIAS_COUNT)).kind).toBe("ok");
  });

  // Fixed, was a bug (misleading message, wrong location): an alias to an anchor that does not exist (a typo)
  // was reported as "too many alias expansions ... looks like an alias bomb" at 1:1, because
  // src/task/yaml-document.ts maps every toJS() error whose text contains "alias" to that
  // message (yaml's own message is "Unresolved alias (the anchor must be set before the alias)").
  it("reports an alias to an unknown anchor as such, at the alias", () => {
    const error = refusal(`version: 1\ntasks:\n  t:\n    role: *nosuchanchor\n`);
    expect(messages(error).join("\n")).not.toMatch(/alias bomb/);
    expect(error.diagnostics[0]?.location?.line).toBe(4);
  });
});

describe("parseTaskFile: deep nesting", () => {
  const DEPTH = 1000;
  const shapes: Array<[string, (depth: number) => string]> = [
    ["flow sequences", (depth) => `version: 1\ntasks: ${"[".repeat(depth)}${"]".repeat(depth)}\n`],
    ["flow mappings", (depth) => `version: 1\ntasks: ${"{a: ".repeat(depth)}1${"}".repeat(depth)}\n`],
    [
      "block mappings",
      (depth) =>
        `version: 1\ntasks:\n${Array.from({ length: depth }, (_, i) => `${" ".repeat(2 * i + 2)}k${i}:`).join("\n")} 1\n`,
    ],
    ["block sequences", (depth) => `version: 1\ntasks:\n  ${"- ".repeat(depth)}x\n`],
    [
      "nesting inside a condition",
      (depth) =>
        `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    allow:\n      - actions: [s3:GetObject]\n        resources: ["arn:aws:s3:::b/*"]\n        conditions: { StringEquals: { k: ${"[".repeat(depth)}${"]".repeat(depth)} } }\n`,
    ],
    ["unclosed openers", (depth) => "[{".repeat(depth)],
  ];
  it.each(shapes)("ends in a located error for %s 1000 levels deep", (_name, build) => {
    expect(parseCleanly(build(DEPTH)).kind).toBe("refused");
  });
  it.each(shapes.slice(0, 2))("ends in a located error for %s 20,000 levels deep", (_name, build) => {
    expect(parseCleanly(build(20_000)).kind).toBe("refused");
  });
});

describe("parseTaskFile: odd unicode, duplicate keys and tabs", () => {
  const valid = `version: 1\ntasks:\n  deploy:\n    role: ${ROLE}\n    description: Upload\n    allow:\n      - actions: [s3:GetObject]\n        resources: ["arn:aws:s3:::b/*"]\n`;
  const ODD = [
    "\uFEFF",
    "\u202E",
    "\u200B",
    "\u200D",
    "\uD800",
    "\uDC00",
    "\u0000",
    "\u00A0",
    "\u3000",
    "😀",
  ];

  it("accepts a leading BOM", () => {
    expect(parseCleanly(`\uFEFF${valid}`).kind).toBe("ok");
  });

  it("ends cleanly with an odd character inserted anywhere in a valid file", () => {
    fc.assert(
      fc.property(fc.nat({ max: valid.length }), fc.constantFrom(...ODD), (at, char) => {
        parseCleanly(valid.slice(0, at) + char + valid.slice(at));
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a task name or key disguised with RTL or zero-width characters", () => {
    for (const disguised of ["de\u200Bploy", "\u202Edeploy", "deploy\u200D"]) {
      expect(parseCleanly(valid.replace("deploy:", `${disguised}:`)).kind).toBe("refused");
    }
    expect(parseCleanly(valid.replace("role:", "ro\u200Ble:")).kind).toBe("refused");
  });

  it("refuses a duplicate key at every level, pointing at the duplicate", () => {
    const lines = valid.trimEnd().split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? "";
      if (!/^\s*[A-Za-z$]+:/.test(line) || /^\s*-/.test(line)) continue;
      // A key whose value is a nested block: a duplicate inserted after it would split the block.
      if (/:\s*(#.*)?$/.test(line)) continue;
      const key = line.replace(/:.*/, ":");
      const copy = [...lines];
      copy.splice(i + 1, 0, `${key} "dup"`);
      const error = refusal(`${copy.join("\n")}\n`);
      expect(messages(error)).toContain(`duplicate key ${JSON.stringify(key.trim().slice(0, -1))}`);
    }
  });

  it("refuses a tab used for indentation on any indented line", () => {
    const lines = valid.trimEnd().split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!/^ {2}/.test(lines[i] ?? "")) continue;
      const copy = [...lines];
      copy[i] = (copy[i] ?? "").replace(/^ {2}/, "\t");
      const error = refusal(`${copy.join("\n")}\n`);
      expect(error.diagnostics.some((d) => /tab/i.test(d.message) && d.location?.line === i + 1)).toBe(true);
    }
  });
});

describe("parseTaskFile: documented size limits", () => {
  const LIMIT = MAX_TASK_FILE_BYTES;

  it("refuses a text just over the size limit at once, naming the limit", () => {
    for (const filler of ["#", " ", "a", "\n"]) {
      const source = `version: 1\n${filler.repeat(LIMIT)}`;
      const started = performance.now();
      const error = refusal(source);
      expect(performance.now() - started).toBeLessThan(100);
      expect(messages(error)).toEqual([`the task file is larger than ${LIMIT} bytes`]);
    }
  });

  it("reads a valid file padded to exactly the limit", () => {
    const valid = `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    description: x\n    allow:\n      - actions: [s3:GetObject]\n        resources: ["arn:aws:s3:::b/*"]\n`;
    const source = `${valid}#${"x".repeat(LIMIT - valid.length - 1)}`;
    expect(source.length).toBe(LIMIT);
    expect(parseCleanly(source).kind).toBe("ok");
  });

  it("refuses a near-limit scalar or quoted string quickly", () => {
    expect(parseCleanly(`version: 1\ntasks: ${"x".repeat(LIMIT - 20)}\n`).kind).toBe("refused");
    expect(parseCleanly(`version: 1\ntasks: "${'\\"'.repeat((LIMIT - 30) / 2)}"\n`).kind).toBe("refused");
  });

  // Fixed, was a bug (limit in the wrong unit): parseTaskFile compared text.length (UTF-16 code units) with
  // MAX_TASK_FILE_BYTES (src/task/load-task-file.ts, first lines of parseTaskFile), so a text of
  // 600,000 "é" (1.2 MB of UTF-8) passes the check that says "larger than 1048576 bytes".
  // loadTaskFile checks the byte size with stat() first, so the CLI is not affected.
  it("measures the size limit in bytes, as its message says", () => {
    const source = `version: 1\ntasks:\n  t: "${"é".repeat(600_000)}"\n`;
    expect(Buffer.byteLength(source)).toBeGreaterThan(LIMIT);
    expect(messages(refusal(source))).toEqual([`the task file is larger than ${LIMIT} bytes`]);
  });

  const taskEntry = (name: string) =>
    `  ${name}:\n    role: ${ROLE}\n    description: x\n    allow:\n      - actions: [s3:GetObject]\n        resources: ["arn:aws:s3:::b/*"]\n`;

  it(`accepts ${MAX_TASKS} tasks and refuses ${MAX_TASKS + 1}, at the tasks key`, () => {
    const header = "version: 1\ntasks:\n";
    const tasks = Array.from({ length: MAX_TASKS + 1 }, (_, i) => taskEntry(`t${i}`));
    expect(parseCleanly(header + tasks.slice(0, MAX_TASKS).join("")).kind).toBe("ok");
    const error = refusal(header + tasks.join(""));
    expect(error.diagnostics.map((d) => [d.message, d.location?.line])).toEqual([
      [`\`tasks\` at most ${MAX_TASKS} tasks`, 3],
    ]);
  });

  it(`accepts ${MAX_PARAMS} parameters and refuses ${MAX_PARAMS + 1}`, () => {
    const withParams = (count: number) =>
      `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    params:\n${Array.from(
        { length: count },
        (_, i) => `      p${i}: { pattern: '[a-z]+' }\n`,
      ).join("")}    allow:\n      - actions: [s3:GetObject]\n        resources: ["arn:aws:s3:::b/*"]\n`;
    expect(parseCleanly(withParams(MAX_PARAMS)).kind).toBe("ok");
    expect(messages(refusal(withParams(MAX_PARAMS + 1)))).toEqual([
      `\`tasks.t.params\` at most ${MAX_PARAMS} parameters`,
    ]);
  });

  it("refuses a default over 256 characters and a resource over 2,048, naming the limit", () => {
    const file = (paramDefault: string, resource: string) =>
      `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    params:\n      p: { pattern: '[a-z]+', default: ${paramDefault} }\n    allow:\n      - actions: [s3:GetObject]\n        resources: ["${resource}"]\n`;
    expect(parseCleanly(file("a".repeat(256), "arn:aws:s3:::b/{{p}}")).kind).toBe("ok");
    expect(messages(refusal(file("a".repeat(257), "arn:aws:s3:::b/{{p}}")))).toEqual([
      "`tasks.t.params.p.default` must have at most 256 characters",
    ]);
    expect(parseCleanly(file("abc", `arn:aws:s3:::b/${"x".repeat(2048 - 15)}`)).kind).toBe("ok");
    expect(parseCleanly(file("abc", `arn:aws:s3:::b/${"x".repeat(2049 - 15)}`)).kind).toBe("refused");
  });

  // Fixed, was a bug (unclear message at a documented limit): a resource of 2,049 characters (docs: "each 1 to
  // 2,048 characters") was refused with "`tasks.t.allow[0].resources[0]` resources are ARN strings":
  // in src/task/schema.ts (resourceList) the type error given to z.string({ error }) also replaces
  // the messages of .min(1) and .max(2048). An empty resource gets the same message, and so does an
  // empty `pattern` ("`pattern` is required: ..."), though both are present and are strings.
  it("names the 2,048-character limit when a resource is too long", () => {
    const source = `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    allow:\n      - actions: [s3:GetObject]\n        resources: ["arn:aws:s3:::b/${"x".repeat(2049 - 15)}"]\n`;
    expect(messages(refusal(source)).join("\n")).toMatch(/2048|2,048/);
  });
});

describe.concurrent("parseTaskFile: hangs (run in a child process with a deadline)", () => {
  // The harness itself: a small file is answered well inside the deadline.
  it("answers for a small file", async () => {
    const result = await parseWithDeadline(EXAMPLE, 5000);
    expect(result).toMatchObject({ timedOut: false, outcome: "ok" });
  }, 30_000);

  // Fixed, was a bug (hang, O(n²)): a flat mapping with many keys takes quadratic time, because
  // src/task/yaml-document.ts parses with `uniqueKeys: true` and yaml checks each new key against
  // every earlier key of the mapping (yaml/dist/compose/util-map-includes.js, items.some()).
  // 10,000 keys took ~2.7 s and 100,000 keys (988,890 bytes, under the 1 MiB limit) ~215 s here.
  // Minimal input: "k0: 0\nk1: 0\n…k99999: 0\n". The same happens under `tasks:` (one key per task).
  it("parses a 1 MB mapping of 100,000 keys within 5 s", async () => {
    const source = Array.from({ length: 100_000 }, (_, i) => `k${i}: 0\n`).join("");
    expect(source.length).toBeLessThan(MAX_TASK_FILE_BYTES);
    const result = await parseWithDeadline(source, 5000);
    expect(result.timedOut).toBe(false);
  }, 30_000);

  // Fixed, was a bug (hang, exponential): a parameter default is tested against its pattern while the file is
  // parsed (src/task/schema.ts, paramSchema.superRefine: new RegExp(`^(?:${pattern})$`, "u")),
  // with no guard against catastrophic backtracking. Pattern '(a+)+' with a 41-character default
  // "aaaa…a!" never finishes (26 a's already take ~3 s); `taskaccess validate` hangs on it.
  // Now the pattern itself is refused, before the default is tested against it.
  it("parses a file whose default backtracks catastrophically against its pattern within 5 s", async () => {
    for (const pattern of ["(a+)+", "(a|a)+", "(.*a){12}"]) {
      const source = `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    params:\n      p: { pattern: '${pattern}', default: '${"a".repeat(40)}!' }\n    allow:\n      - actions: [s3:GetObject]\n        resources: ["arn:aws:s3:::b/{{p}}"]\n`;
      const result = await parseWithDeadline(source, 5000);
      expect(result, pattern).toMatchObject({ timedOut: false, outcome: "TaskFileError" });
    }
  }, 30_000);
});

describe("parseTaskFile: keys that are Object.prototype names", () => {
  const withConditions = (conditions: string) =>
    `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    description: x\n    allow:\n      - actions: [s3:GetObject]\n        resources: ["arn:aws:s3:::b/*"]\n        conditions: ${conditions}\n`;

  it("keeps keys named constructor, toString and hasOwnProperty", () => {
    const file = parseCleanly(
      withConditions('{ StringEquals: { constructor: a, toString: b, hasOwnProperty: "c" } }'),
    );
    if (file.kind !== "ok") throw new Error("refused");
    expect(Object.keys(file.file.tasks[0]?.allow[0]?.conditions?.StringEquals ?? {})).toEqual([
      "constructor",
      "toString",
      "hasOwnProperty",
    ]);
  });

  // Fixed, was a bug (widened access): a `__proto__` key is dropped without a word. zod's z.record skips an
  // own "__proto__" key (neither validated nor copied), and src/task/schema.ts uses z.record for
  // `conditions`, the keys inside an operator, `tags`, `params` and `tasks`. So an allow statement
  // whose only condition sits under `__proto__` is rendered with "Condition":{} (or
  // {"StringEquals":{}}) and applies unconditionally: the task grants more than the file says.
  // Expected: "unknown condition operator \"__proto__\"" (exit 65), as for any other bad operator.
  it("refuses a condition operator named __proto__ instead of dropping it", () => {
    const source = withConditions('{ "__proto__": { "aws:SourceIp": "10.0.0.0/8" } }');
    const outcome = parseCleanly(source);
    if (outcome.kind === "ok") {
      const task = outcome.file.tasks[0];
      if (!task) throw new Error("no task");
      const policy = renderSessionPolicy(task).json;
      // What the dropped condition means: a request from outside 10.0.0.0/8 is allowed.
      const decision = evaluateRequest(
        {
          action: "s3:GetObject",
          resource: "arn:aws:s3:::b/x",
          principalArn: "arn:aws:sts::123456789012:assumed-role/deployer/s",
          context: { "aws:SourceIp": "192.0.2.1" },
        },
        {
          identity: [admin],
          session: [{ name: "session", document: parsePolicyDocument(policy, { kind: "session" }) }],
        },
      );
      expect(decision.allowed, `rendered ${policy}`).toBe(false);
    }
    expect(outcome.kind).toBe("refused");
  });

  // Same bug, one level down: the condition key is dropped, leaving {"StringEquals":{}}.
  it("refuses a condition key named __proto__ instead of dropping it", () => {
    expect(parseCleanly(withConditions('{ StringEquals: { "__proto__": "x" } }')).kind).toBe("refused");
  });

  // Same bug for tags: `tags: { __proto__: x }` passes and the tag silently disappears.
  it("refuses or keeps a tag named __proto__, never drops it", () => {
    const outcome = parseCleanly(
      withConditions("{ StringEquals: { k: v } }").replace(
        "    allow:",
        "    tags: { __proto__: x }\n    allow:",
      ),
    );
    if (outcome.kind === "ok") expect(Object.keys(outcome.file.tasks[0]?.tags ?? {})).toEqual(["__proto__"]);
  });
});

describe("parseTaskFile: messages for wrong types", () => {
  // Fixed, was a bug (misleading message): a role of the wrong type (a number, a date under %YAML 1.1, a list)
  // is reported as "`tasks.t.role` `role` is required: the ARN of the role to assume": the custom
  // error of z.string() in src/task/schema.ts (taskSchema.role) is used for wrong types as well as
  // for a missing key, and issueToDiagnostic (load-task-file.ts) prints it as is.
  it("says a role of the wrong type has the wrong type, not that it is missing", () => {
    const error = refusal(
      `version: 1\ntasks:\n  t:\n    role: 12345\n    allow:\n      - actions: [s3:GetObject]\n        resources: ["arn:aws:s3:::b/*"]\n`,
    );
    expect(messages(error).join("\n")).not.toMatch(/is required/);
  });
});

describe("parseTaskFile: task names that YAML reads as numbers", () => {
  const file = (name: string, duration: string) =>
    `version: 1\ntasks:\n  ${name}:\n    role: ${ROLE}\n    description: x\n    allow:\n      - actions: [s3:GetObject]\n        resources: ["arn:aws:s3:::b/*"]\n    duration: ${duration}\n`;

  it("points at the field when the task name is a quoted number", () => {
    const error = refusal(file("'2024'", "5m"));
    expect(error.diagnostics.map((d) => d.location?.line)).toEqual([9]);
  });

  // Fixed, was a bug (wrong location): a task named with digits only (valid: "starting with a letter or
  // digit") is an integer key in YAML, while the schema path holds the string "2024"; locateNode
  // in src/task/yaml-document.ts compares `item.key.value === segment` (2024 !== "2024"), finds
  // nothing and falls back to the `tasks` key: every error inside the task is reported at 2:1.
  // The same applies to parameter errors of such a task (resolveParams locates ... "pattern").
  it("points at the field, not at `tasks`, when the task name is unquoted digits", () => {
    const error = refusal(file("2024", "5m"));
    expect(error.diagnostics.map((d) => d.location?.line)).toEqual([9]);
  });

  // Fixed, was a bug (task silently renamed): unquoted names that YAML reads as numbers are renamed by the
  // conversion to JSON: `0x1F:` becomes task "31", `1e3:` becomes "1000" and `1.10:` becomes
  // "1.1", with no warning; `taskaccess run 0x1F` then says there is no such task.
  it("keeps a task name as written", () => {
    for (const name of ["0x1F", "1e3", "1.10"]) {
      const outcome = parseCleanly(file(name, "15m"));
      if (outcome.kind === "ok") expect(outcome.file.tasks.map((task) => task.name)).toEqual([name]);
    }
  });
});
