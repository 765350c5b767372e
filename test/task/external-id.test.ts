import { describe, expect, it } from "vitest";
import { explainTask } from "../../src/policy/explain-task.js";
import { externalIdProblem, resolveExternalId } from "../../src/task/external-id.js";
import { taskFileJsonSchema } from "../../src/task/json-schema.js";
import { parseTaskFile } from "../../src/task/load-task-file.js";
import { TaskFileError } from "../../src/task/task-file-error.js";
import { makeProject, runInProcess } from "../helpers/run-cli.js";
import { taskFileWith } from "../helpers/task-files.js";

// A task's `externalId`: checked against STS's ExternalId (botocore sts model, externalIdType: 2 to
// 1224 characters of [\w+=,.@:\/-]) when the file is read, and again whole once its {{param}}
// placeholders are filled in, before any AWS call; errors point at the value.

const task = (externalId: string, params = "") =>
  taskFileWith(`role: arn:aws:iam::123456789012:role/partner
${params}externalId: ${externalId}
allow:
  - actions: [s3:GetObject]
    resources: ['arn:aws:s3:::b/*']`);

function diagnosticsOf(
  run: () => unknown,
): Array<{ message: string; at: string; hint?: string | undefined }> {
  try {
    run();
  } catch (error) {
    if (!(error instanceof TaskFileError)) throw error;
    return error.diagnostics.map((diagnostic) => ({
      message: diagnostic.message,
      at: diagnostic.location ? `${diagnostic.location.line}:${diagnostic.location.column}` : "",
      ...(diagnostic.hint ? { hint: diagnostic.hint } : {}),
    }));
  }
  throw new Error("expected a TaskFileError");
}

const parse = (text: string) => parseTaskFile("taskaccess.yaml", text);

describe("externalId in the task file", () => {
  it("keeps a literal external id, and one with placeholders as written", () => {
    expect(parse(task("tenant-42")).tasks[0]?.externalId).toBe("tenant-42");
    const templated = parse(
      task("'acme:{{ customer }}'", "params:\n  customer: { pattern: '[a-z0-9-]+' }\n"),
    );
    expect(templated.tasks[0]?.externalId).toBe("acme:{{ customer }}");
  });

  const refused: Array<[string, string, string, { message: string; at: string; hint?: string }]> = [
    [
      "one character",
      "x",
      "",
      {
        message: "`tasks.t.externalId` must have at least 2 characters (STS ExternalId: 2 to 1224)",
        at: "5:17",
      },
    ],
    [
      "a character STS does not take",
      "'tenant 42'",
      "",
      {
        message:
          "`tasks.t.externalId` may hold only letters, digits, _+=,.@:/- and {{param}} placeholders (STS ExternalId)",
        at: "5:17",
      },
    ],
    [
      "longer than 1224",
      "a".repeat(1225),
      "",
      {
        message: "`tasks.t.externalId` must have at most 1224 characters (STS ExternalId: 2 to 1224)",
        at: "5:17",
      },
    ],
    [
      "a malformed placeholder",
      "'tenant-{{customer'",
      "params:\n  customer: { pattern: '[0-9]+' }\n",
      {
        message:
          "`tasks.t.externalId` may hold only letters, digits, _+=,.@:/- and {{param}} placeholders (STS ExternalId)",
        at: "7:17",
      },
    ],
    [
      "a placeholder naming no parameter",
      "'tenant-{{custmer}}'",
      "params:\n  customer: { pattern: '[0-9]+' }\n",
      {
        message: '{{custmer}} names no declared parameter of task "t"',
        at: "7:17",
        hint: "did you mean {{customer}}?",
      },
    ],
  ];
  it.each(refused)("refuses %s (exit 65, at the value)", (_name, value, params, expected) => {
    expect(diagnosticsOf(() => parse(task(value, params)))).toEqual([expected]);
  });

  it("is in the JSON schema, with STS's characters and placeholders", () => {
    const schema = taskFileJsonSchema() as {
      properties: { tasks: { additionalProperties: { properties: Record<string, unknown> } } };
    };
    const field = schema.properties.tasks.additionalProperties.properties.externalId as {
      type: string;
      minLength: number;
      pattern: string;
    };
    expect(field).toMatchObject({ type: "string", minLength: 2 });
    const pattern = new RegExp(field.pattern);
    expect(pattern.test("tenant-42")).toBe(true);
    expect(pattern.test("acme:{{customer}}")).toBe(true);
    expect(pattern.test("tenant 42")).toBe(false);
  });
});

describe("resolveExternalId", () => {
  const file = parse(task("'acme:{{customer}}'", "params:\n  customer: { pattern: '[^*?${}\"\\\\]+' }\n"));
  const [partner] = file.tasks;
  if (!partner) throw new Error("no task");

  it("fills in the parameters", () => {
    expect(resolveExternalId(file, partner, { customer: "4711" })).toBe("acme:4711");
  });

  it("refuses a value STS would refuse once filled in, at the field, with a hint", () => {
    expect(diagnosticsOf(() => resolveExternalId(file, partner, { customer: "a b" }))).toEqual([
      {
        message:
          '`externalId` with the parameters filled in holds " ", which STS does not take in an ExternalId (only letters, digits and _+=,.@:/-)',
        at: "7:17",
        hint: "give a parameter value STS takes, and narrow the parameter's pattern to letters, digits and _+=,.@:/-",
      },
    ]);
    expect(
      diagnosticsOf(() => resolveExternalId(file, partner, { customer: "x".repeat(1220) }))[0]?.message,
    ).toBe("`externalId` with the parameters filled in is 1225 characters long; STS takes 2 to 1224");
  });

  it("is undefined for a task without one", () => {
    const plain = parse(
      taskFileWith(
        "role: arn:aws:iam::123456789012:role/r\nallow:\n  - actions: [s3:GetObject]\n    resources: ['*']",
      ),
    );
    const [only] = plain.tasks;
    if (!only) throw new Error("no task");
    expect(resolveExternalId(plain, only, {})).toBeUndefined();
  });

  it("says what STS refuses", () => {
    expect(externalIdProblem("ab")).toBeUndefined();
    expect(externalIdProblem("a")).toBe("is 1 character long; STS takes 2 to 1224");
    expect(externalIdProblem("a#b")).toBe(
      'holds "#", which STS does not take in an ExternalId (only letters, digits and _+=,.@:/-)',
    );
  });

  it("is what explain shows: resolved, or with the missing parameters left as placeholders", async () => {
    expect((await explainTask(file, "t", { customer: "4711" })).externalId).toBe("acme:4711");
    expect((await explainTask(file, "t", {})).externalId).toBe("acme:{{customer}}");
  });
});

describe("explain", () => {
  const cwd = makeProject({
    "taskaccess.yaml": task("'acme:{{customer}}'", "params:\n  customer: { pattern: '[0-9]+' }\n").replace(
      "  t:\n",
      "  t:\n    description: For one customer\n",
    ),
  });

  it("shows the external id AssumeRole would send, in text and JSON", async () => {
    const text = await runInProcess(["explain", "t", "--param", "customer=4711"], { cwd });
    expect({ code: text.code, stderr: text.stderr }).toEqual({ code: 0, stderr: "" });
    expect(text.stdout).toContain("  externalId  acme:4711\n");
    const json = await runInProcess(["explain", "t", "--json"], { cwd });
    expect((JSON.parse(json.stdout) as { task: { externalId: string } }).task.externalId).toBe(
      "acme:{{customer}}",
    );
  });
});
