import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { parseTaskFile } from "../../src/task/load-task-file.js";
import type { ParamSpec } from "../../src/task/model.js";
import { checkParamValue, parseParamFlags, resolveParams, substituteParams } from "../../src/task/params.js";
import { explicitLiterals } from "../../src/task/regex-literals.js";
import { TaskFileError } from "../../src/task/task-file-error.js";
import { VALID_TASK_FILE } from "../helpers/task-files.js";

const file = parseTaskFile("taskaccess.yaml", VALID_TASK_FILE);
const deploy = file.tasks[0];
if (!deploy) throw new Error("fixture has no deploy task");

function resolveErrors(
  values: Record<string, string>,
): Array<{ message: string; hint?: string | undefined }> {
  try {
    resolveParams(file, deploy as NonNullable<typeof deploy>, values);
  } catch (error) {
    if (error instanceof TaskFileError)
      return error.diagnostics.map(({ message, hint }) => ({ message, hint }));
    throw error;
  }
  return [];
}

describe("parseParamFlags", () => {
  it("splits at the first =", () => {
    expect(parseParamFlags(["version=1.4.2", "expr=a=b", "empty="])).toEqual({
      version: "1.4.2",
      expr: "a=b",
      empty: "",
    });
  });
  it("refuses malformed and repeated flags as usage errors", () => {
    expect(() => parseParamFlags(["version"])).toThrow(UsageError);
    expect(() => parseParamFlags(["=x"])).toThrow('--param "=x" is not of the form name=value');
    expect(() => parseParamFlags(["a=1", "a=2"])).toThrow("--param a is given twice");
  });
});

describe("resolveParams", () => {
  it("accepts a matching value", () => {
    expect(resolveParams(file, deploy, { version: "1.4.2" })).toEqual({ version: "1.4.2" });
  });
  it("names an unknown parameter with a suggestion", () => {
    expect(resolveErrors({ version: "1.4.2", verison: "1" })).toEqual([
      { message: 'unknown parameter "verison" for task "deploy"', hint: 'did you mean "version"?' },
    ]);
  });
  it("names a missing parameter and how to give it", () => {
    expect(resolveErrors({})).toEqual([
      {
        message: 'missing parameter "version" for task "deploy" (release to upload)',
        hint: "add --param version=<value matching [0-9]+\\.[0-9]+\\.[0-9]+>",
      },
    ]);
  });
  it("anchors the pattern: a partial match is not a match", () => {
    expect(resolveErrors({ version: "x1.4.2" })[0]?.message).toBe(
      'parameter "version" value "x1.4.2" does not match its pattern [0-9]+\\.[0-9]+\\.[0-9]+',
    );
    expect(resolveErrors({ version: "1.4.2/../../other" })[0]?.message).toMatch(/does not match its pattern/);
  });
});

describe("checkParamValue refuses injection", () => {
  const loose: ParamSpec = { name: "p", pattern: ".*" };
  const attempts: Array<[string, string]> = [
    ["*", "wildcard"],
    ["app/*", "wildcard"],
    ["a?c", "wildcard"],
    ['x"],"Action":"*', "JSON quote"],
    ["a\\u0022", "JSON escape"],
    ["${aws:username}", "policy variable"],
    ["{{other}}", "placeholder"],
    ["a}b", "placeholder"],
  ];
  it.each(attempts)("refuses %j (%s) when the pattern does not name the character", (value) => {
    expect(checkParamValue(loose, value)).toMatch(/refused unless the pattern allows/);
  });
  it("quotes a refused double quote readably", () => {
    expect(checkParamValue(loose, 'a"b')).toBe(
      `parameter "p" value "a\\"b" contains '"', which is JSON string syntax; refused unless the pattern allows '"' explicitly (for example \\")`,
    );
  });
  it("refuses control and non-Latin-1 characters whatever the pattern", () => {
    expect(checkParamValue(loose, "a\nb")).toMatch(/control or non-Latin-1/);
    expect(checkParamValue(loose, "a\u0000b")).toMatch(/control or non-Latin-1/);
    expect(checkParamValue(loose, "日本")).toMatch(/control or non-Latin-1/);
  });
  it("refuses an overlong value", () => {
    expect(checkParamValue(loose, "a".repeat(257))).toBe(
      'parameter "p" is 257 characters long; the limit is 256',
    );
  });
  it("accepts a dangerous character the pattern names explicitly", () => {
    expect(checkParamValue({ name: "p", pattern: "[a-z]+/\\*" }, "app/*")).toBeUndefined();
    expect(checkParamValue({ name: "p", pattern: "[a-z*]+" }, "a*b")).toBeUndefined();
    // \S covers * but does not name it.
    expect(checkParamValue({ name: "p", pattern: "\\S+" }, "a*b")).toMatch(/contains "\*"/);
    // A negated class names nothing.
    expect(checkParamValue({ name: "p", pattern: "[^/]+" }, "a*b")).toMatch(/contains "\*"/);
  });
});

describe("explicitLiterals", () => {
  it("collects escaped, class and plain characters but not ranges or escapes like \\d", () => {
    expect([...explicitLiterals('a\\*[?"x-z]\\d.')].sort()).toEqual(['"', "*", "?", "a"].sort());
  });

  it("reads a property escape as one wildcard: its braces and name are not characters", () => {
    expect([...explicitLiterals("[\\p{S}\\P{Letter}a]+\\p{Script=Greek}")]).toEqual(["a"]);
  });

  it("counts \\u{7B}, \\u002A and \\x3F as naming {, * and ?; \\cJ as naming nothing", () => {
    expect([...explicitLiterals("\\u{7B}[\\u002A]\\x3F\\cJb")].sort()).toEqual(["*", "?", "b", "{"].sort());
  });
});

describe("substituteParams", () => {
  it("replaces {{name}} and leaves IAM variables alone", () => {
    expect(substituteParams("arn:aws:s3:::b/{{ v }}/${aws:username}/*", { v: "1.0" })).toBe(
      "arn:aws:s3:::b/1.0/${aws:username}/*",
    );
  });
});
