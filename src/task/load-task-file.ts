import type { Stats } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { z } from "zod";
import { splitArn } from "../iam/arn.js";
import { suggestClosest } from "../util/suggest.js";
import { checkParamPatterns } from "./check-patterns.js";
import { checkPlaceholders } from "./check-placeholders.js";
import type { Diagnostic } from "./diagnostic.js";
import { parseDuration } from "./duration.js";
import { findLogLinkProblem, LOG_SETTING_HINT } from "./log-setting.js";
import { DEFAULT_DURATION_SECONDS, type StatementSpec, type TaskDefinition, type TaskFile } from "./model.js";
import {
  conditionOperatorNames,
  paramSchema,
  type RawStatement,
  type RawTask,
  type RawTaskFile,
  statementSchema,
  taskFileSchema,
  taskSchema,
} from "./schema.js";
import { TaskFileError } from "./task-file-error.js";
import { checkTaskFileTrust } from "./task-file-trust.js";
import { type ParsedYaml, parseYaml, type YamlPath } from "./yaml-document.js";

/** A task file is a few kilobytes; anything this large is a mistake or an attack. */
export const MAX_TASK_FILE_BYTES = 1024 * 1024;

// Reads, parses and validates a task file; throws TaskFileError with every problem found.
export async function loadTaskFile(path: string, displayPath: string = path): Promise<TaskFile> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (cause) {
    throw new TaskFileError([
      { message: `cannot read the task file ${displayPath}: ${describeFsError(cause)}` },
    ]);
  }
  if (stats.size > MAX_TASK_FILE_BYTES) {
    throw new TaskFileError([
      {
        message: `the task file ${displayPath} is ${stats.size} bytes; the limit is ${MAX_TASK_FILE_BYTES} bytes`,
      },
    ]);
  }
  const text = await readFile(path, "utf8");
  const taskFile: TaskFile = { ...parseTaskFile(displayPath, text), directory: dirname(resolve(path)) };
  await refuseLogLinks(taskFile);
  return { ...taskFile, warnings: await checkTaskFileTrust(path, displayPath, stats) };
}

// The `log` setting passed the schema's checks as written; here, where the file system can be
// seen, it must not leave the directory through a symbolic link either.
async function refuseLogLinks(taskFile: TaskFile): Promise<void> {
  if (taskFile.log === undefined || taskFile.log.startsWith("s3://")) return;
  const problem = await findLogLinkProblem(taskFile.directory, taskFile.log);
  if (!problem) return;
  throw new TaskFileError([
    { message: `\`log\` ${problem}`, location: taskFile.locate(["log"], "value"), hint: LOG_SETTING_HINT },
  ]);
}

// Validates task-file text; separate from loading so that tests and property checks need no files.
export function parseTaskFile(displayPath: string, text: string): TaskFile {
  if (Buffer.byteLength(text) > MAX_TASK_FILE_BYTES) {
    throw new TaskFileError([{ message: `the task file is larger than ${MAX_TASK_FILE_BYTES} bytes` }]);
  }
  const { parsed, diagnostics } = parseYaml(displayPath, text);
  if (!parsed) throw new TaskFileError(diagnostics);
  if (parsed.data === null || parsed.data === undefined) {
    throw new TaskFileError([
      { message: "the task file is empty", location: parsed.source.locate(0), hint: "run `taskaccess init`" },
    ]);
  }
  const result = taskFileSchema.safeParse(parsed.data, { reportInput: true });
  if (!result.success) {
    const diagnostics = result.error.issues.map((issue) => issueToDiagnostic(issue, parsed));
    throw new TaskFileError(sortByPosition(diagnostics));
  }
  const taskFile = normalizeTaskFile(displayPath, result.data, parsed);
  // Before placeholders: their check runs each default against its pattern.
  const patternProblems = checkParamPatterns(taskFile.tasks, parsed.locate);
  if (patternProblems.length > 0) throw new TaskFileError(patternProblems);
  const placeholderProblems = taskFile.tasks.flatMap((task) => checkPlaceholders(task, parsed.locate));
  if (placeholderProblems.length > 0) throw new TaskFileError(placeholderProblems);
  const revokerProblems = taskFile.tasks.flatMap((task) => checkRevokerAccount(task, parsed.locate));
  if (revokerProblems.length > 0) throw new TaskFileError(revokerProblems);
  return taskFile;
}

function normalizeTaskFile(path: string, raw: RawTaskFile, parsed: ParsedYaml): TaskFile {
  const tasks = Object.entries(raw.tasks).map(([name, task]) => normalizeTask(name, task, raw.region));
  return { path, directory: ".", log: raw.log, region: raw.region, tasks, locate: parsed.locate };
}

function normalizeTask(name: string, raw: RawTask, fileRegion: string | undefined): TaskDefinition {
  const base: YamlPath = ["tasks", name];
  const toStatement = (kind: "allow" | "deny") => (statement: RawStatement, index: number) =>
    ({ ...statement, path: [...base, kind, index] }) satisfies StatementSpec;
  return {
    name,
    description: raw.description,
    role: raw.role,
    region: raw.region ?? fileRegion,
    revoker: raw.revoker,
    durationSeconds:
      raw.duration === undefined ? DEFAULT_DURATION_SECONDS : (parseDuration(raw.duration) ?? 0),
    timeoutSeconds: raw.timeout === undefined ? undefined : parseDuration(raw.timeout),
    params: Object.entries(raw.params ?? {}).map(([paramName, spec]) => ({
      name: paramName,
      pattern: spec.pattern,
      description: spec.description,
      default: spec.default,
    })),
    allow: raw.allow.map(toStatement("allow")),
    deny: (raw.deny ?? []).map(toStatement("deny")),
    policyArns: raw.policyArns ?? [],
    tags: raw.tags ?? {},
    externalId: raw.externalId,
    reason: raw.reason ?? "optional",
    credentials: raw.credentials,
    isolation: raw.isolation,
    acknowledge: raw.acknowledge,
  };
}

function issueToDiagnostic(issue: z.core.$ZodIssue, parsed: ParsedYaml): Diagnostic {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== "symbol");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const known = knownKeysAt(path);
    const suggestion = suggestClosest(key, known);
    return {
      message: `unknown key "${key}"${describeParent(path)}${issue.keys.length > 1 ? ` (and ${issue.keys.length - 1} more: ${issue.keys.slice(1).join(", ")})` : ""}`,
      location: parsed.locate([...path, key], "key"),
      hint: suggestion ? `did you mean "${suggestion}"?` : `allowed keys: ${known.join(", ")}`,
    };
  }
  if (issue.code === "custom" && issue.params?.kind === "unknown-operator") {
    const operator = String(path[path.length - 1]);
    const suggestion = suggestClosest(operator, conditionOperatorNames());
    return {
      message: issue.message,
      location: parsed.locate(path, "key"),
      hint:
        operator === "" || operator === "null"
          ? 'quote it: "Null" (unquoted, YAML reads Null as an empty value)'
          : suggestion
            ? `did you mean "${suggestion}"?`
            : "see the IAM condition operators in docs/task-file.md",
    };
  }
  if (issue.code === "invalid_key") {
    return {
      message: `${describeField(path)}: "${String(path[path.length - 1] ?? "")}" ${readableMessage(issue.issues[0] ?? issue)}`,
      location: parsed.locate(path, "key"),
    };
  }
  const missing = issue.code === "invalid_type" && issue.input === undefined;
  const atKey = missing || (issue.code === "custom" && issue.params?.target === "key");
  const hint = issue.code === "custom" ? issue.params?.hint : undefined;
  return {
    message: missing
      ? `${describeField(path)} is required`
      : `${describeField(path)} ${readableMessage(issue)}`,
    location: parsed.locate(path, atKey ? "key" : "value"),
    hint: typeof hint === "string" ? hint : undefined,
  };
}

function sortByPosition(diagnostics: Diagnostic[]): Diagnostic[] {
  const position = (diagnostic: Diagnostic) =>
    diagnostic.location ? diagnostic.location.line * 100_000 + diagnostic.location.column : 0;
  return [...diagnostics].sort((a, b) => position(a) - position(b));
}

function readableMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
    return `must be ${withArticle(issue.expected)} (got ${describeValue(issue.input)})`;
  }
  if (issue.code === "invalid_union" && issue.message.startsWith("Invalid input")) {
    return `has the wrong type (got ${describeValue(issue.input)})`;
  }
  // Without a locale (zod/mini) an issue with no message of ours says "Invalid input"; with
  // zod's English locale loaded in the same process (the sandbox's schemas), "Too small: …".
  if (issue.code === "too_small" && isDefaultMessage(issue.message, "Too small")) {
    return `must have at least ${String(issue.minimum)} ${unit(issue.origin, Number(issue.minimum))}`;
  }
  if (issue.code === "too_big" && isDefaultMessage(issue.message, "Too big")) {
    return `must have at most ${String(issue.maximum)} ${unit(issue.origin, Number(issue.maximum))}`;
  }
  return issue.message;
}

function isDefaultMessage(message: string, english: string): boolean {
  return message === "Invalid input" || message.startsWith(english);
}

function unit(origin: string, count: number): string {
  if (origin === "string") return count === 1 ? "character" : "characters";
  return count === 1 ? "entry" : "entries";
}

function withArticle(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function describeField(path: readonly (string | number)[]): string {
  if (path.length === 0) return "the task file";
  return `\`${path
    .map((segment) => (typeof segment === "number" ? `[${segment}]` : segment))
    .join(".")
    .replace(/\.\[/g, "[")}\``;
}

function describeParent(path: readonly (string | number)[]): string {
  return path.length === 0 ? " at the top level" : ` in ${describeField(path)}`;
}

// The keys allowed at a path, for "did you mean" on an unknown key.
function knownKeysAt(path: readonly (string | number)[]): string[] {
  if (path.length === 0) return Object.keys(taskFileSchema.shape);
  if (path[0] === "tasks" && path.length === 2) return Object.keys(taskSchema.shape);
  if (path[0] === "tasks" && path[2] === "params" && path.length === 4) return Object.keys(paramSchema.shape);
  if (path[0] === "tasks" && (path[2] === "allow" || path[2] === "deny") && path.length === 4) {
    return Object.keys(statementSchema.shape);
  }
  return [];
}

function describeFsError(cause: unknown): string {
  if (cause && typeof cause === "object" && "code" in cause) {
    if (cause.code === "ENOENT") return "no such file";
    if (cause.code === "EACCES") return "permission denied";
    if (cause.code === "EISDIR") return "it is a directory";
  }
  return cause instanceof Error ? cause.message : String(cause);
}

// A revoker role writes denies in its own account: one in another account than the task role
// would write them on a role of the same name there, and never revoke this task's sessions.
function checkRevokerAccount(task: TaskDefinition, locate: ParsedYaml["locate"]): Diagnostic[] {
  if (task.revoker === undefined) return [];
  const accountOf = (arn: string) => {
    const parts = splitArn(arn);
    return parts && `${parts.partition}:${parts.account}`;
  };
  if (accountOf(task.revoker) === accountOf(task.role)) return [];
  return [
    {
      message: `\`revoker\` ${task.revoker} is not in the account of the task's role ${task.role}`,
      location: locate(["tasks", task.name, "revoker"], "value"),
      hint: "IAM acts in the account of the identity that calls it: name a revoker role in the role's own account",
    },
  ];
}
