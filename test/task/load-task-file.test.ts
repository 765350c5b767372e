import { describe, expect, it } from "vitest";
import { parseTaskFile } from "../../src/task/load-task-file.js";
import { TaskFileError } from "../../src/task/task-file-error.js";
import { taskFileWith, VALID_TASK_FILE } from "../helpers/task-files.js";

const ROLE = "role: arn:aws:iam::123456789012:role/r";
const ALLOW = "allow:\n  - actions: [s3:GetObject]\n    resources: ['arn:aws:s3:::b/*']";

function errorsOf(text: string): Array<{ message: string; at: string; hint?: string | undefined }> {
  try {
    parseTaskFile("taskaccess.yaml", text);
  } catch (error) {
    if (!(error instanceof TaskFileError)) throw error;
    return error.diagnostics.map((diagnostic) => ({
      message: diagnostic.message,
      at: diagnostic.location ? `${diagnostic.location.line}:${diagnostic.location.column}` : "",
      hint: diagnostic.hint,
    }));
  }
  throw new Error("expected a TaskFileError");
}

describe("parseTaskFile", () => {
  it("reads a valid file into typed tasks with defaults", () => {
    const file = parseTaskFile("taskaccess.yaml", VALID_TASK_FILE);
    expect(file.tasks.map((task) => task.name)).toEqual(["deploy", "read-logs"]);
    const [deploy, readLogs] = file.tasks;
    expect(deploy).toMatchObject({
      role: "arn:aws:iam::123456789012:role/deployer",
      region: "eu-west-1",
      durationSeconds: 900,
      timeoutSeconds: 3600,
      reason: "optional",
      tags: { team: "payments" },
      params: [{ name: "version", pattern: "[0-9]+\\.[0-9]+\\.[0-9]+", description: "release to upload" }],
    });
    expect(readLogs?.durationSeconds).toBe(900);
    expect(readLogs?.timeoutSeconds).toBeUndefined();
    expect(readLogs?.region).toBe("eu-west-1");
  });

  // Each schema error path, with the exact message and where it points.
  const cases: Array<[string, string, { message: string; at: string; hint?: string }]> = [
    ["missing role", ALLOW, { message: "`tasks.t.role` is required", at: "3:3" }],
    [
      "bad role ARN",
      `role: arn:aws:iam::123:role/x\n${ALLOW}`,
      {
        message: "`tasks.t.role` must be an IAM role ARN such as arn:aws:iam::123456789012:role/deployer",
        at: "4:11",
      },
    ],
    [
      "unknown key with suggestion",
      `${ROLE}\ndescripton: x\n${ALLOW}`,
      { message: 'unknown key "descripton" in `tasks.t`', at: "5:5", hint: 'did you mean "description"?' },
    ],
    [
      "duration too long",
      `${ROLE}\nduration: 13h\n${ALLOW}`,
      { message: '`tasks.t.duration` must be between 15m and 12h (got "13h")', at: "5:15" },
    ],
    [
      "duration too short in seconds",
      `${ROLE}\nduration: 600\n${ALLOW}`,
      { message: "`tasks.t.duration` must be between 15m and 12h (got 600)", at: "5:15" },
    ],
    [
      "unparseable duration",
      `${ROLE}\ntimeout: 5x\n${ALLOW}`,
      { message: "`tasks.t.timeout` must be a duration such as 900, 15m or 1h30m", at: "5:14" },
    ],
    [
      "bad region",
      `${ROLE}\nregion: Europe\n${ALLOW}`,
      { message: "`tasks.t.region` must be an AWS region such as eu-west-1", at: "5:13" },
    ],
    ["allow missing", ROLE, { message: "`tasks.t.allow` is required", at: "3:3" }],
    [
      "allow empty",
      `${ROLE}\nallow: []`,
      {
        message:
          "`tasks.t.allow` must list at least one statement: a task with no access needs no taskaccess",
        at: "5:12",
      },
    ],
    [
      "malformed action",
      `${ROLE}\nallow:\n  - actions: [s3 GetObject]\n    resources: ['*']`,
      {
        message:
          "`tasks.t.allow[0].actions[0]` must be service:Action, such as s3:GetObject (wildcards * and ? allowed)",
        at: "6:19",
      },
    ],
    [
      "statement without actions",
      `${ROLE}\nallow:\n  - resources: ['*']`,
      { message: "`tasks.t.allow[0]` needs `actions`", at: "6:9" },
    ],
    [
      "actions and notActions together",
      `${ROLE}\nallow:\n  - actions: [s3:GetObject]\n    notActions: [s3:PutObject]\n    resources: ['*']`,
      { message: "`tasks.t.allow[0]` must give either `actions` or `notActions`, not both", at: "6:9" },
    ],
    [
      "empty resources",
      `${ROLE}\nallow:\n  - actions: [s3:GetObject]\n    resources: []`,
      { message: "`tasks.t.allow[0].resources` must list at least one resource", at: "7:20" },
    ],
    [
      "unknown condition operator",
      `${ROLE}\nallow:\n  - actions: [s3:GetObject]\n    resources: ['*']\n    conditions: { StringEqual: { a: b } }`,
      {
        message: 'unknown condition operator "StringEqual"',
        at: "8:23",
        hint: 'did you mean "StringEquals"?',
      },
    ],
    [
      "empty condition key (an issue zod words itself, read without a locale)",
      `${ROLE}\nallow:\n  - actions: [s3:GetObject]\n    resources: ['*']\n    conditions: { StringEquals: { '': x } }`,
      {
        message: '`tasks.t.allow[0].conditions.StringEquals.`: "" must have at least 1 character',
        at: "8:39",
      },
    ],
    [
      "description too long (likewise)",
      `description: ${"d".repeat(1025)}\n${ROLE}\n${ALLOW}`,
      { message: "`tasks.t.description` must have at most 1024 characters", at: "4:18" },
    ],
    [
      "invalid parameter pattern",
      `${ROLE}\nparams:\n  v: { pattern: '(' }\n${ALLOW}`,
      { message: "`tasks.t.params.v.pattern` is not a valid regular expression", at: "6:21" },
    ],
    [
      "pattern that can backtrack catastrophically",
      `${ROLE}\nparams:\n  v: { pattern: '(a|a)+' }\n${ALLOW}`,
      {
        message:
          "`tasks.t.params.v.pattern` can match the same text in so many ways that checking a value of up to 256 characters could take more than 5,000,000 steps (catastrophic backtracking)",
        at: "6:21",
        hint: "let each character be matched in only one way: a+ rather than (a+)+ or (a|aa)+, [ab]+ rather than (a|b|ab)+, and a fixed character between repeated parts, as in ([a-z0-9-]+/)+",
      },
    ],
    [
      "parameter default that does not match",
      `${ROLE}\nparams:\n  v: { pattern: '[a-z]+', default: '1' }\n${ALLOW}`,
      { message: "`tasks.t.params.v.default` does not match `pattern`", at: "6:40" },
    ],
    [
      "too many policy ARNs",
      `${ROLE}\n${ALLOW}\npolicyArns: [${Array.from({ length: 11 }, (_, i) => `'arn:aws:iam::aws:policy/P${i}'`).join(", ")}]`,
      { message: "`tasks.t.policyArns` STS accepts at most 10 managed session policies", at: "8:17" },
    ],
    [
      "reserved tag prefix",
      `${ROLE}\n${ALLOW}\ntags: { 'aws:team': x }`,
      { message: '`tasks.t.tags.aws:team` uses the reserved tag prefix "aws:"', at: "8:13" },
    ],
    [
      "bad reason",
      `${ROLE}\n${ALLOW}\nreason: always`,
      { message: "`tasks.t.reason` must be `required` or `optional`", at: "8:13" },
    ],
    [
      "wrong type",
      `${ROLE}\ndescription: [a, b]\n${ALLOW}`,
      { message: "`tasks.t.description` must be a string (got a list)", at: "5:18" },
    ],
    [
      "undeclared placeholder",
      `${ROLE}\nparams:\n  version: { pattern: 'x' }\nallow:\n  - actions: [s3:GetObject]\n    resources: ['arn:aws:s3:::b/{{verison}}']`,
      {
        message: '{{verison}} names no declared parameter of task "t"',
        at: "9:21",
        hint: "did you mean {{version}}?",
      },
    ],
    [
      "malformed placeholder",
      `${ROLE}\nallow:\n  - actions: [s3:GetObject]\n    resources: ['arn:aws:s3:::b/{{version']`,
      {
        message: 'malformed placeholder in "arn:aws:s3:::b/{{version"',
        at: "7:21",
        hint: "write parameters as {{name}}",
      },
    ],
  ];

  it.each(cases)("reports %s at its line and column", (_name, body, expected) => {
    const errors = errorsOf(taskFileWith(body));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toEqual({ hint: undefined, ...expected });
  });

  it("reports a duration error together with other errors in the same task", () => {
    const errors = errorsOf(taskFileWith(`${ROLE}\nduration: 12h1s\ntags: { 'aws:x': y }\n${ALLOW}`));
    expect(errors.map((error) => error.message)).toEqual([
      '`tasks.t.duration` must be between 15m and 12h (got "12h1s")',
      '`tasks.t.tags.aws:x` uses the reserved tag prefix "aws:"',
    ]);
  });

  it("explains an unquoted Null operator", () => {
    const errors = errorsOf(
      taskFileWith(
        `${ROLE}\nallow:\n  - actions: [s3:GetObject]\n    resources: ['*']\n    conditions: { Null: { a: 'true' } }`,
      ),
    );
    expect(errors[0]?.hint).toBe('quote it: "Null" (unquoted, YAML reads Null as an empty value)');
  });

  it("refuses a placeholder in a condition key and an unsafe default", () => {
    const errors = errorsOf(
      taskFileWith(
        `${ROLE}\nparams:\n  k: { pattern: '.+', default: 'a*' }\nallow:\n  - actions: [s3:GetObject]\n    resources: ['*']\n    conditions: { StringEquals: { '{{k}}': x } }`,
      ),
    );
    expect(errors.map((error) => error.message)).toEqual([
      'the default of parameter "k" value "a*" contains "*", which is an IAM wildcard and would widen the resource; refused unless the pattern allows "*" explicitly (for example \\*)',
      'condition key "{{k}}" holds a placeholder; only resources and condition values may',
    ]);
  });

  it("reports top-level problems", () => {
    expect(errorsOf("version: 2\ntasks: {}\n")).toEqual([
      { message: "`version` must be 1 (the only task-file version so far)", at: "1:10", hint: undefined },
      { message: "`tasks` must define at least one task", at: "2:8", hint: undefined },
    ]);
    expect(errorsOf("version: 1\ntask: {}\n")).toEqual([
      { message: "`tasks` is required", at: "1:1", hint: undefined },
      { message: 'unknown key "task" at the top level', at: "2:1", hint: 'did you mean "tasks"?' },
    ]);
    expect(errorsOf("")).toEqual([
      { message: "the task file is empty", at: "1:1", hint: "run `taskaccess init`" },
    ]);
  });

  it("rejects bad task names", () => {
    const errors = errorsOf(
      `version: 1\ntasks:\n  "bad name!":\n    ${ROLE}\n    ${ALLOW.replace(/\n/g, "\n    ")}\n`,
    );
    expect(errors[0]?.message).toMatch(/task names are up to 40 letters/);
    expect(errors[0]?.at).toBe("3:3");
  });

  it("refuses YAML errors: duplicate keys, tabs, syntax", () => {
    expect(errorsOf("version: 1\nversion: 1\ntasks: {}\n")[0]).toMatchObject({
      message: 'duplicate key "version"',
      at: "2:1",
    });
    expect(errorsOf("version: 1\ntasks:\n\tt: {}\n")[0]?.at).toBe("3:1");
    expect(errorsOf("version: [1\n")[0]?.message).toMatch(/flow sequence/i);
  });

  it("refuses an alias bomb without expanding it", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "version: 1",
      "tasks: {}",
    ].join("\n");
    const errors = errorsOf(bomb);
    expect(errors[0]?.message).toMatch(/too many alias expansions/);
  });

  it("refuses a file over the size limit", () => {
    expect(() => parseTaskFile("big.yaml", `# ${"x".repeat(1024 * 1024)}`)).toThrow(
      /larger than 1048576 bytes/,
    );
  });
});
