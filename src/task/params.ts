import { UsageError } from "../errors.js";
import { suggestClosest } from "../util/suggest.js";
import type { Diagnostic } from "./diagnostic.js";
import type { ParamSpec, TaskDefinition, TaskFile } from "./model.js";
import { explicitLiterals } from "./regex-literals.js";
import { TaskFileError } from "./task-file-error.js";

export const MAX_PARAM_VALUE_LENGTH = 256;
export const PLACEHOLDER_PATTERN = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

// Characters that change a policy's meaning if a value smuggles them in: IAM wildcards,
// policy variables, JSON string syntax and placeholder syntax.
const DANGEROUS: ReadonlyArray<[string, string]> = [
  ["*", "is an IAM wildcard and would widen the resource"],
  ["?", "is an IAM wildcard and would widen the resource"],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: this names IAM's policy-variable syntax
  ["$", "starts an IAM policy variable such as ${aws:username}"],
  ['"', "is JSON string syntax"],
  ["\\", "is JSON escape syntax"],
  ["{", "is placeholder syntax"],
  ["}", "is placeholder syntax"],
];

// Turns repeated `--param name=value` flags into a map; a malformed flag is a usage error.
export function parseParamFlags(flags: readonly string[]): Record<string, string> {
  // No prototype: `--param __proto__=x` must be an unknown parameter, not a silent no-op.
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const flag of flags) {
    const eq = flag.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`--param "${flag}" is not of the form name=value`, "write --param version=1.4.2");
    }
    const name = flag.slice(0, eq);
    if (Object.hasOwn(values, name)) {
      throw new UsageError(`--param ${name} is given twice`, "give each parameter once");
    }
    values[name] = flag.slice(eq + 1);
  }
  return values;
}

// Checks supplied values against the task's declared parameters: unknown, missing, non-matching
// and unsafe values are all reported, each naming its parameter.
export function resolveParams(
  taskFile: TaskFile,
  task: TaskDefinition,
  supplied: Readonly<Record<string, string>>,
  options: { allowMissing?: boolean } = {},
): Record<string, string> {
  const diagnostics: Diagnostic[] = [];
  const declared = new Map(task.params.map((param) => [param.name, param]));
  for (const name of Object.keys(supplied)) {
    if (!declared.has(name)) {
      const suggestion = suggestClosest(name, declared.keys());
      diagnostics.push({
        message: `unknown parameter "${name}" for task "${task.name}"`,
        location:
          taskFile.locate(["tasks", task.name, "params"], "key") ??
          taskFile.locate(["tasks", task.name], "key"),
        hint: suggestion
          ? `did you mean "${suggestion}"?`
          : declared.size > 0
            ? `the task declares: ${[...declared.keys()].join(", ")}`
            : "the task declares no parameters",
      });
    }
  }
  const resolved: Record<string, string> = {};
  for (const param of task.params) {
    const value = Object.hasOwn(supplied, param.name) ? supplied[param.name] : param.default;
    const location = taskFile.locate(["tasks", task.name, "params", param.name], "key");
    if (value === undefined) {
      if (options.allowMissing) continue;
      diagnostics.push({
        message: `missing parameter "${param.name}" for task "${task.name}"${param.description ? ` (${param.description})` : ""}`,
        location,
        hint: `add --param ${param.name}=<value matching ${param.pattern}>`,
      });
      continue;
    }
    const problem = checkParamValue(param, value);
    if (problem) {
      diagnostics.push({
        message: problem,
        location: taskFile.locate(["tasks", task.name, "params", param.name, "pattern"]),
      });
      continue;
    }
    resolved[param.name] = value;
  }
  if (diagnostics.length > 0) throw new TaskFileError(diagnostics);
  return resolved;
}

// Says what is wrong with one value, or nothing when it is safe to put into a policy.
export function checkParamValue(param: ParamSpec, value: string): string | undefined {
  const shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value.length > MAX_PARAM_VALUE_LENGTH) {
    return `parameter "${param.name}" is ${value.length} characters long; the limit is ${MAX_PARAM_VALUE_LENGTH}`;
  }
  // Session policies may hold only tab, LF, CR and U+0020..U+00FF (STS sessionPolicyDocumentType);
  // control characters are never meant as part of an ARN.
  if (/[^\u0020-\u007e\u00a0-\u00ff]/u.test(value)) {
    return `parameter "${param.name}" contains a control or non-Latin-1 character, which a session policy cannot hold`;
  }
  if (!new RegExp(`^(?:${param.pattern})$`, "u").test(value)) {
    return `parameter "${param.name}" value ${shown} does not match its pattern ${param.pattern}`;
  }
  const allowed = explicitLiterals(param.pattern);
  for (const [char, why] of DANGEROUS) {
    if (value.includes(char) && !allowed.has(char)) {
      const quoted = quoteChar(char);
      return `parameter "${param.name}" value ${shown} contains ${quoted}, which ${why}; refused unless the pattern allows ${quoted} explicitly (for example \\${char})`;
    }
  }
  return undefined;
}

// A character in quotes that stay readable: '"' rather than """.
function quoteChar(char: string): string {
  return char === '"' ? `'"'` : `"${char}"`;
}

// Replaces {{name}} with checked values; IAM's own ${...} variables are left untouched.
export function substituteParams(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER_PATTERN, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`internal: placeholder ${whole} has no value`);
    return value;
  });
}
