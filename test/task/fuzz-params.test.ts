// Property-based tests of parameter values (issue 5, "Bad input"): random values and injection
// attempts, against patterns that do not name the dangerous characters, are either refused with
// an error naming the parameter (exit 65) or rendered into a policy that is exactly the template
// with the value put in, and that the IAM evaluator shows grants nothing the template with a
// literal value would not. Known bugs are recorded as `it.fails` with a comment naming the bug.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ExitCode, UsageError } from "../../src/errors.js";
import { evaluateRequest, type NamedPolicy, parsePolicyDocument } from "../../src/iam/index.js";
import { renderSessionPolicy, type SessionPolicyDocument } from "../../src/policy/render-policy.js";
import { parseTaskFile } from "../../src/task/load-task-file.js";
import type { TaskDefinition, TaskFile } from "../../src/task/model.js";
import { MAX_PARAM_VALUE_LENGTH, parseParamFlags, resolveParams } from "../../src/task/params.js";
import { TaskFileError } from "../../src/task/task-file-error.js";
import { parseWithDeadline } from "../fixtures/fuzz/run-with-deadline.js";
import { REPO_ROOT } from "../helpers/run-cli.js";

const ROLE = "arn:aws:iam::123456789012:role/deployer";
const PRINCIPAL = "arn:aws:sts::123456789012:assumed-role/deployer/fuzz";
const DANGEROUS = ["*", "?", "$", '"', "\\", "{", "}"];

// The templates the value goes into: resources (the placeholder with and without spaces), a
// condition value list, and a deny.
const RESOURCES = ["arn:aws:s3:::releases/app/{{v}}/*", "arn:aws:s3:::releases/app/{{ v }}"];
const PREFIXES = ["app/{{v}}/*", "app/{{v}}"];
const DENIED = ["arn:aws:s3:::releases/app/{{v}}/keep/*"];

function taskFileText(pattern: string): string {
  return stringify({
    version: 1,
    tasks: {
      deploy: {
        description: "fuzz",
        role: ROLE,
        params: { v: { pattern } },
        allow: [
          { sid: "Upload", actions: ["s3:GetObject", "s3:PutObject"], resources: RESOURCES },
          {
            actions: ["s3:ListBucket"],
            resources: ["arn:aws:s3:::releases"],
            conditions: { StringLike: { "s3:prefix": PREFIXES } },
          },
        ],
        deny: [{ actions: ["s3:DeleteObject"], resources: DENIED }],
      },
    },
  });
}

const parsedFiles = new Map<string, TaskFile>();
function taskFileFor(pattern: string): { file: TaskFile; task: TaskDefinition } {
  let file = parsedFiles.get(pattern);
  if (!file) {
    file = parseTaskFile("fuzz.yaml", taskFileText(pattern));
    parsedFiles.set(pattern, file);
  }
  const task = file.tasks[0];
  if (!task) throw new Error("no task");
  return { file, task };
}

// Patterns whose wildcards cover the dangerous characters without naming them: `.`, `\S`,
// negated classes, ranges, Unicode property escapes. None of them may let a dangerous one through.
const PERMISSIVE = [
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
  "[^a]+",
  "[!-~]+",
  "[ -~\\xa0-\\xff]+",
  ".{0,300}",
  "[\\w\\W]+",
  "(?:[a-z]|[^a-z])+",
  "[\\d\\D]*",
  "^.+$",
  "[^\\n]+",
  "\\W+|\\w+",
  "[^\\w]+|.+",
  "[0-9]+\\.[0-9]+\\.[0-9]+|.+",
];
// Patterns that name some dangerous characters on purpose, and which ones (by hand, from the
// rules in docs/task-file.md): only those may appear in an accepted value.
const EXPLICIT: Array<[string, string]> = [
  ["[a-z0-9/*-]+", "*"],
  ["[a-z?]+", "?"],
  ["[a-z]+\\*?", "*"],
  ['[a-z"]+', '"'],
  ["[a-z\\\\]+", "\\"],
  ["[{}a-z]+", "{}"],
  ["[$a-z{}:]+", "${}"],
  ["(?:[a-z0-9-]+/)+(?:[a-z0-9._-]+|[*])", "*"],
  [".*[*].*", "*"],
];
const PATTERNS: Array<[string, string]> = [...PERMISSIVE.map((p): [string, string] => [p, ""]), ...EXPLICIT];

const INJECTIONS = [
  "*",
  "?",
  '"',
  "\\",
  "{{",
  "}}",
  "{{v}}",
  "{{ v }}",
  "${aws:username}",
  "${*}",
  "/../",
  "../../other",
  "\n",
  "\r\n",
  "\t",
  '","Resource":"*',
  '"}],"Statement":[{"Effect":"Allow","Action":"*","Resource":"*',
  '\\"',
  "\\u002a",
  "%2A",
  "&#42;",
  "\u0000",
  "\u2028",
  "\uFEFF",
  "\u00a0",
  "\u00ad",
  "é",
  "ÿ",
  "\u0100",
  "😀",
  "\uD800",
  " ",
  "",
  "1.2.3",
  "releases/other/x",
  "arn:aws:s3:::",
  ":",
  "//",
  "x",
  "app",
];
const CHARS = [...new Set([...INJECTIONS.join(""), ..."aZ09-_./: ~%"])];
const value = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 30 }),
  fc.constantFrom(...INJECTIONS),
  fc
    .array(fc.oneof(fc.constantFrom(...INJECTIONS), fc.string({ maxLength: 4 })), { maxLength: 5 })
    .map((parts) => parts.join("")),
  fc.string({
    unit: "grapheme-ascii",
    minLength: MAX_PARAM_VALUE_LENGTH - 4,
    maxLength: MAX_PARAM_VALUE_LENGTH + 4,
  }),
);

// ---------------------------------------------------------------------------------------------
// Oracles

const fill = (template: string, v: string) => template.replace(/\{\{\s*v\s*\}\}/g, () => v);
const compact = (items: string[]) => {
  const unique = [...new Set(items)];
  return unique.length === 1 ? unique[0] : unique;
};
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const globSource = (text: string) =>
  Array.from(text, (char) => (char === "*" ? ".*" : char === "?" ? "." : escapeRegex(char))).join("");

// What the template allows with the value as literal text: the template's own * and ? are
// wildcards, the value's characters are not. An independent (regular-expression) matcher.
function literalTemplateAllows(templates: string[], v: string, candidate: string): boolean {
  return templates.some((template) => {
    const parts = template.split(/\{\{\s*v\s*\}\}/);
    const source = parts.map(globSource).join(escapeRegex(v));
    return new RegExp(`^${source}$`, "s").test(candidate);
  });
}

const ADMIN: NamedPolicy = {
  name: "admin",
  document: parsePolicyDocument(
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
  ),
};

function allows(policyJson: string, action: string, resource: string, context: Record<string, string> = {}) {
  const session: NamedPolicy = {
    name: "session",
    document: parsePolicyDocument(policyJson, { kind: "session" }),
  };
  return evaluateRequest(
    { action, resource, principalArn: PRINCIPAL, context },
    { identity: [ADMIN], session: [session] },
  ).allowed;
}

// The refusal is clean: a TaskFileError (65) whose every diagnostic names the parameter and
// points at the task file.
function expectNamedRefusal(error: unknown, name: string): void {
  if (!(error instanceof TaskFileError)) throw error;
  expect(error.exitCode).toBe(ExitCode.taskFile);
  expect(error.diagnostics.length).toBeGreaterThan(0);
  for (const diagnostic of error.diagnostics) {
    expect(diagnostic.message).toContain(`"${name}"`);
    expect(diagnostic.location?.line).toBeGreaterThanOrEqual(1);
    expect(diagnostic.location?.column).toBeGreaterThanOrEqual(1);
  }
}

// Everything an accepted value must satisfy; returns false when the value was refused.
function checkValue(pattern: string, allowed: string, v: string): boolean {
  const { file, task } = taskFileFor(pattern);
  let values: Record<string, string>;
  try {
    values = resolveParams(file, task, { v });
  } catch (error) {
    expectNamedRefusal(error, "v");
    return false;
  }
  expect(values).toEqual({ v });
  // Only the characters the pattern names may get in.
  for (const char of DANGEROUS) {
    if (v.includes(char))
      expect(allowed, `pattern ${pattern} let ${JSON.stringify(char)} through`).toContain(char);
  }
  expect(v.length).toBeLessThanOrEqual(MAX_PARAM_VALUE_LENGTH);

  // The rendered policy is valid JSON, a valid IAM session policy, with one statement per task
  // statement, and each templated string is the template with exactly the value put in.
  const policy = renderSessionPolicy(task, values);
  const document = JSON.parse(policy.json) as SessionPolicyDocument;
  expect(() => parsePolicyDocument(policy.json, { kind: "session" })).not.toThrow();
  expect(document.Statement).toHaveLength(task.allow.length + task.deny.length);
  const [upload, list, deny] = document.Statement;
  expect(upload?.Resource).toEqual(compact(RESOURCES.map((t) => fill(t, v))));
  expect(list?.Resource).toBe("arn:aws:s3:::releases");
  expect(list?.Condition).toEqual({ StringLike: { "s3:prefix": compact(PREFIXES.map((t) => fill(t, v))) } });
  expect(deny?.Effect).toBe("Deny");
  expect(deny?.Resource).toEqual(compact(DENIED.map((t) => fill(t, v))));
  expect(Object.keys(document)).toEqual(["Version", "Statement"]);
  return true;
}

// With no wildcard or variable in the value, the evaluator grants exactly what the template with
// a literal value grants, on probes around the value and far from it.
function checkEvaluator(policyJson: string, v: string, noise: string): void {
  const resources = [
    "arn:aws:s3:::releases/other/x",
    "arn:aws:s3:::releases/app/x",
    `arn:aws:s3:::releases/app/${v}/obj`,
    `arn:aws:s3:::releases/app/${v}`,
    `arn:aws:s3:::releases/app/${v}x/obj`,
    `arn:aws:s3:::releases/app/${v.slice(1)}/obj`,
    `arn:aws:s3:::releases/app/${v.slice(0, -1)}/obj`,
    `arn:aws:s3:::releases/${v}/obj`,
    `arn:aws:s3:::releases/app/${noise}`,
    `arn:aws:s3:::releases/app/${noise}/${v}`,
    `arn:aws:s3:::${v}`,
    "arn:aws:s3:::releases/app//obj",
  ];
  for (const resource of resources) {
    const granted = allows(policyJson, "s3:GetObject", resource);
    const expected = literalTemplateAllows(RESOURCES, v, resource);
    expect(granted, `GetObject on ${resource} with v=${JSON.stringify(v)}`).toBe(expected);
  }
  // The deny narrows: DeleteObject is never allowed (no allow names it).
  expect(allows(policyJson, "s3:DeleteObject", `arn:aws:s3:::releases/app/${v}/keep/x`)).toBe(false);
  for (const prefix of ["other/", "app/", `app/${v}`, `app/${v}/x`, `app/${v}x`, `app/${noise}`, `${v}`]) {
    const granted = allows(policyJson, "s3:ListBucket", "arn:aws:s3:::releases", { "s3:prefix": prefix });
    const expected = literalTemplateAllows(PREFIXES, v, prefix);
    expect(granted, `ListBucket with s3:prefix ${prefix} and v=${JSON.stringify(v)}`).toBe(expected);
  }
}

// ---------------------------------------------------------------------------------------------
// Properties

describe("parameter values: refused with the parameter named, or rendered exactly", () => {
  it("parses every pattern of the test into a task file", () => {
    for (const [pattern] of PATTERNS) expect(taskFileFor(pattern).task.params[0]?.pattern).toBe(pattern);
  });

  it("holds for random values and injection attempts against every pattern", () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.constantFrom(...PATTERNS), value, ([pattern, allowed], v) => {
        if (checkValue(pattern, allowed, v)) accepted++;
      }),
      { numRuns: 400 },
    );
    expect(accepted).toBeGreaterThan(0);
  });

  it("never lets a dangerous character through a pattern that does not name it", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PERMISSIVE),
        fc.string({ unit: fc.constantFrom(...DANGEROUS, "a", "/", "."), minLength: 1, maxLength: 12 }),
        (pattern, v) => {
          const accepted = checkValue(pattern, "", v);
          if (DANGEROUS.some((char) => v.includes(char))) expect(accepted).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("grants, by the IAM evaluator, nothing beyond the template with a literal value", () => {
    let evaluated = 0;
    fc.assert(
      fc.property(fc.constantFrom(...PERMISSIVE), value, fc.string({ maxLength: 8 }), (pattern, v, noise) => {
        if (!checkValue(pattern, "", v)) return;
        evaluated++;
        const { task } = taskFileFor(pattern);
        checkEvaluator(renderSessionPolicy(task, { v }).json, v, noise);
      }),
      { numRuns: 300 },
    );
    expect(evaluated).toBeGreaterThan(20);
  });

  it("(the evaluator check itself notices a policy widened by a wildcard in the value)", () => {
    const widened = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::releases/app/1.2*/*" },
        { Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::releases" },
      ],
    });
    expect(() => checkEvaluator(widened, "1.2", "n")).toThrow(
      /GetObject on arn:aws:s3:::releases\/app\/1\.2/,
    );
  });

  it("on the example task file, an accepted version never opens another prefix", () => {
    const example = parseTaskFile(
      "examples/taskaccess.yaml",
      readFileSync(join(REPO_ROOT, "examples/taskaccess.yaml"), "utf8"),
    );
    const deploy = example.tasks[0];
    if (!deploy) throw new Error("no task");
    const version = fc.oneof(
      fc.tuple(fc.nat(), fc.nat(), fc.nat()).map((parts) => parts.join(".")),
      fc
        .tuple(fc.nat(), fc.nat(), fc.nat(), fc.constantFrom(...INJECTIONS))
        .map(([a, b, c, tail]) => `${a}.${b}.${c}${tail}`),
      value,
    );
    let accepted = 0;
    fc.assert(
      fc.property(version, (v) => {
        let values: Record<string, string>;
        try {
          values = resolveParams(example, deploy, { version: v });
        } catch (error) {
          expectNamedRefusal(error, "version");
          return;
        }
        accepted++;
        expect(v).toMatch(/^[0-9]+\.[0-9]+\.[0-9]+$/);
        const json = renderSessionPolicy(deploy, values).json;
        expect(allows(json, "s3:GetObject", "arn:aws:s3:::releases/other/x")).toBe(false);
        expect(allows(json, "s3:GetObject", "arn:aws:s3:::releases/app/9.9.9x/x")).toBe(false);
        expect(allows(json, "s3:GetObject", `arn:aws:s3:::releases/app/${v}/x`)).toBe(true);
        expect(allows(json, "s3:PutObject", `arn:aws:s3:::releases/app/${v}.1/x`)).toBe(false);
      }),
      { numRuns: 200 },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});

describe("parameter values: documented limits", () => {
  it(`accepts ${MAX_PARAM_VALUE_LENGTH} characters and refuses more, naming the limit`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 * MAX_PARAM_VALUE_LENGTH }), (length) => {
        const { file, task } = taskFileFor(".+");
        const v = "a".repeat(length);
        if (length <= MAX_PARAM_VALUE_LENGTH) {
          expect(resolveParams(file, task, { v })).toEqual({ v });
          return;
        }
        try {
          resolveParams(file, task, { v });
          throw new Error("accepted");
        } catch (error) {
          expectNamedRefusal(error, "v");
          expect((error as TaskFileError).diagnostics[0]?.message).toBe(
            `parameter "v" is ${length} characters long; the limit is ${MAX_PARAM_VALUE_LENGTH}`,
          );
        }
      }),
      { numRuns: 60 },
    );
  });

  it("refuses any character outside printable Latin-1, naming the parameter", () => {
    const outside = fc.oneof(
      fc.integer({ min: 0, max: 0x1f }),
      fc.integer({ min: 0x7f, max: 0x9f }),
      fc.integer({ min: 0x100, max: 0x10ffff }),
    );
    fc.assert(
      fc.property(outside, fc.string({ unit: "grapheme-ascii", maxLength: 10 }), (code, around) => {
        const { file, task } = taskFileFor("[\\s\\S]+");
        const v = `${around}${String.fromCodePoint(code)}${around}`;
        try {
          resolveParams(file, task, { v });
          throw new Error(`accepted U+${code.toString(16)}`);
        } catch (error) {
          expectNamedRefusal(error, "v");
          expect((error as TaskFileError).diagnostics[0]?.message).toMatch(
            /control or non-Latin-1 character/,
          );
        }
      }),
      { numRuns: 150 },
    );
  });
});

// What a pattern can name, written the plain way: its \u{HEX}, \uHHHH and \xHH escapes spelt out, so
// "contains the character" is checked independently of src/task/regex-literals.ts.
function namesOf(pattern: string): string {
  return pattern.replace(/\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})/g, (_, a, b, c) =>
    String.fromCodePoint(Number.parseInt(a ?? b ?? c, 16)),
  );
}

describe("parameter values: random patterns", () => {
  const REGEX_PARTS = [...'[]()?*+{}\\^$|.-az09pPuxkq<>=!:/"', "\\p{L}", "\\u{2a}", "(?:", "(?<n>", "\\k<n>"];
  const pattern = fc
    .array(fc.constantFrom(...REGEX_PARTS), { minLength: 1, maxLength: 12 })
    .map((parts) => parts.join(""));
  // Short values: a pattern that could backtrack catastrophically is refused when the file is read,
  // but random values of any length are not what these properties are about.
  const shortValue = fc.string({ unit: fc.constantFrom(...'az09*?$"\\{}/.-:'), maxLength: 10 });

  it("a pattern is refused cleanly or checks values without throwing anything else", () => {
    fc.assert(
      fc.property(pattern, fc.array(shortValue, { maxLength: 4 }), (p, vs) => {
        let setup: { file: TaskFile; task: TaskDefinition };
        try {
          setup = taskFileFor(p);
        } catch (error) {
          if (!(error instanceof TaskFileError)) throw error;
          expect(error.diagnostics[0]?.location?.line).toBeGreaterThanOrEqual(1);
          return;
        }
        for (const v of vs) {
          try {
            resolveParams(setup.file, setup.task, { v });
          } catch (error) {
            expectNamedRefusal(error, "v");
            continue;
          }
          // A dangerous character can only be named by a pattern that contains it.
          // (A pattern names a character as itself or as an escape of its code point: \u{2a} is "*".)
          for (const char of DANGEROUS) if (v.includes(char)) expect(namesOf(p)).toContain(char);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("--param flags", () => {
  const name = fc.string({ maxLength: 8 }).filter((n) => n !== "__proto__");
  it("are split at the first '=' into one own entry per name, or refused as a usage error", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, fc.constantFrom("=", ""), fc.string({ maxLength: 8 })), { maxLength: 6 }),
        (parts) => {
          const flags = parts.map(([n, eq, v]) => `${n}${eq}${v}`);
          let result: Record<string, string>;
          try {
            result = parseParamFlags(flags);
          } catch (error) {
            expect(error).toBeInstanceOf(UsageError);
            expect((error as UsageError).exitCode).toBe(ExitCode.usage);
            return;
          }
          const names = flags.map((flag) => flag.slice(0, flag.indexOf("=")));
          expect(new Set(names).size).toBe(names.length);
          expect(Object.keys(result).sort()).toEqual([...names].sort());
          for (const flag of flags) {
            const eq = flag.indexOf("=");
            expect(eq).toBeGreaterThan(0);
            expect(Object.hasOwn(result, flag.slice(0, eq))).toBe(true);
            expect(result[flag.slice(0, eq)]).toBe(flag.slice(eq + 1));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  // Fixed, was a bug (input silently ignored): `--param __proto__=x` is neither used nor reported.
  // parseParamFlags (src/task/params.ts) stores values in a plain {}, where values["__proto__"] = "x"
  // hits the prototype setter and stores nothing, so resolveParams never sees the name and does
  // not say "unknown parameter". `taskaccess explain deploy --param __proto__=1.2.3` exits 0.
  it("keep or refuse a parameter named __proto__, never drop it", () => {
    let result: Record<string, string> | undefined;
    try {
      result = parseParamFlags(["__proto__=x"]);
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return;
    }
    expect(Object.keys(result)).toEqual(["__proto__"]);
  });
});

describe("parameter values: bugs the properties found, fixed", () => {
  // Fixed, was a bug (dangerous character let through): src/task/regex-literals.ts treated the braces of a
  // Unicode property escape inside a class (`[\p{S}]`, `[\P{L}]`) as characters the class names,
  // so `{` and `}` counted as "allowed explicitly" though the pattern only says "any symbol" or
  // "any non-letter". Pattern '[\p{S}\p{P}a-z]+' accepted the value "{{a}}"; docs/task-file.md says
  // a property escape is a wildcard and does not name a character. (`*`, `$` and the others are
  // still refused, and the substitution is single-pass, so the braces stay literal text.)
  it("refuses { and } under a pattern that only matches them through \\p{...}", () => {
    for (const [pattern, v] of [
      ["[\\p{S}\\p{P}a-z]+", "{{a}}"],
      ["[\\P{L}]+", "}{"],
    ] as const) {
      const { file, task } = taskFileFor(pattern);
      expect(() => resolveParams(file, task, { v })).toThrow(TaskFileError);
    }
  });

  // Fixed, was a bug (hang, exponential): a value given with --param is tested with
  // new RegExp(`^(?:${pattern})$`, "u") in checkParamValue (src/task/params.ts) with no guard against
  // catastrophic backtracking. With pattern '(a+)+', `taskaccess explain t --param p=aaaa…a!`
  // (40 a's, well under 256 characters) never returns; so does `run`, before any AWS call.
  it("checks a value that backtracks catastrophically against its pattern within 5 s", async () => {
    const source = `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    params:\n      p: { pattern: '(a+)+' }\n    allow:\n      - actions: [s3:GetObject]\n        resources: ["arn:aws:s3:::b/{{p}}"]\n`;
    const result = await parseWithDeadline(source, 5000, { p: `${"a".repeat(40)}!` });
    expect(result).toMatchObject({ timedOut: false, outcome: "TaskFileError" });
  }, 30_000);

  // Fixed, was a bug (hang, exponential; issue 10): '(a|a)+' passed the nested-quantifier check
  // (src/task/regex-safety.ts then looked only for a repeated group repeating something inside it),
  // and `explain` with a 33-character value ran for more than 20 s. The pattern is now refused when
  // the file is read, before any value is tested against it.
  it("refuses a pattern of overlapping alternatives before testing a value against it", async () => {
    const source = `version: 1\ntasks:\n  t:\n    role: ${ROLE}\n    params:\n      p: { pattern: '(a|a)+' }\n    allow:\n      - actions: [s3:GetObject]\n        resources: ["arn:aws:s3:::b/{{p}}"]\n`;
    const result = await parseWithDeadline(source, 5000, { p: `${"a".repeat(32)}!` });
    expect(result).toMatchObject({ timedOut: false, outcome: "TaskFileError" });
  }, 30_000);
});
