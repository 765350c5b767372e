// zod/mini: the same zod 4 core as the classic API, functional and tree-shaken, so that the
// commands that read a task file start in less time (docs/benchmarks.md). It loads no locale:
// readableMessage (load-task-file.ts) words the issues that carry no message of ours.
import * as z from "zod/mini";
import { parseDuration } from "./duration.js";
import { MAX_EXTERNAL_ID_LENGTH } from "./external-id.js";
import { findLogSettingProblem, LOG_SETTING_HINT } from "./log-setting.js";

// Limits below come from the STS service model (botocore/data/sts/2011-06-15/service-2.json):
// roleDurationSecondsType 900..43200, tagListType max 50, tagKeyType 1..128 and
// tagValueType 0..256 with pattern [\p{L}\p{Z}\p{N}_.:/=+\-@], policyDescriptorListType
// (AWS documents at most 10 managed session policies for AssumeRole).
export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 43_200;
export const MAX_POLICY_ARNS = 10;
/** STS allows 50 session tags; taskaccess adds taskaccess:task and taskaccess:session. */
export const MAX_TASK_TAGS = 48;
export const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
export const MAX_TASKS = 500;
export const MAX_PARAMS = 50;

export const TASK_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;
export const PARAM_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const ROLE_ARN_PATTERN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const POLICY_ARN_PATTERN =
  /^arn:aws(?:-[a-z]+)*:iam::(?:\d{12}|aws):policy\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/;
const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const ACTION_PATTERN = /^(?:\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$/;
const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
const SID_PATTERN = /^[A-Za-z0-9]+$/;
/**
 * `externalId` as written: characters of STS's externalIdType (botocore sts model: pattern
 * [\w+=,.@:\/-]*, 2 to 1224 characters) and {{param}} placeholders; the value is checked whole
 * once the parameters are filled in (external-id.ts).
 */
const EXTERNAL_ID_TEMPLATE_PATTERN = /^(?:[\w+=,.@:/-]|\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\})+$/;
const RULE_ID_PATTERN = /^[a-z][a-z-]{0,63}$/;
/** At most this many acknowledged rules per task; each reason at most 1,024 characters. */
export const MAX_ACKNOWLEDGED = 20;

// The IAM condition operators (IAM User Guide, "IAM JSON policy elements: Condition operators").
const BASE_OPERATORS = [
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
  "NumericEquals",
  "NumericNotEquals",
  "NumericLessThan",
  "NumericLessThanEquals",
  "NumericGreaterThan",
  "NumericGreaterThanEquals",
  "DateEquals",
  "DateNotEquals",
  "DateLessThan",
  "DateLessThanEquals",
  "DateGreaterThan",
  "DateGreaterThanEquals",
  "Bool",
  "BinaryEquals",
  "IpAddress",
  "NotIpAddress",
  "ArnEquals",
  "ArnLike",
  "ArnNotEquals",
  "ArnNotLike",
] as const;

// Every operator name a task file may use, with the IfExists and set-operator variants.
export function conditionOperatorNames(): string[] {
  const names: string[] = ["Null"];
  for (const base of BASE_OPERATORS) {
    for (const prefix of ["", "ForAnyValue:", "ForAllValues:"]) {
      names.push(`${prefix}${base}`, `${prefix}${base}IfExists`);
    }
  }
  return names;
}

const durationInput = z
  .union([z.number(), z.string()], { error: "must be a duration such as 900, 15m or 1h30m" })
  .check(
    z.refine((value) => parseDuration(value) !== undefined, {
      error: "must be a duration such as 900, 15m or 1h30m",
    }),
  );

const conditionValue = z.union([z.string(), z.number(), z.boolean()], {
  error: "condition values must be strings, numbers or booleans",
});

const conditions = z
  .record(
    z.string(),
    z.record(
      z.string().check(z.minLength(1)),
      z.union([conditionValue, z.array(conditionValue).check(z.minLength(1))]),
      {
        error: "each condition operator maps condition keys to a value or a list of values",
      },
    ),
    { error: "must map condition operators to { key: value } objects" },
  )
  .check(
    z.superRefine((value, ctx) => {
      const known = new Set(conditionOperatorNames());
      for (const operator of Object.keys(value)) {
        if (!known.has(operator)) {
          ctx.addIssue({
            code: "custom",
            message: `unknown condition operator "${operator}"`,
            path: [operator],
            params: { kind: "unknown-operator", candidates: [...known] },
          });
        }
      }
    }),
  );

const actionList = z
  .array(
    z.string({ error: "actions are strings such as s3:GetObject" }).check(
      z.regex(ACTION_PATTERN, {
        error: "must be service:Action, such as s3:GetObject (wildcards * and ? allowed)",
      }),
    ),
    { error: "must be a list of actions" },
  )
  .check(z.minLength(1, { error: "must list at least one action" }));

const resourceList = z
  // Each check has its own message: the type error given to z.string() would replace theirs.
  .array(
    z
      .string({ error: "resources are ARN strings" })
      .check(
        z.minLength(1, { error: "must not be empty" }),
        z.maxLength(2048, { error: "must have at most 2048 characters" }),
      ),
    {
      error: "must be a list of resource ARNs",
    },
  )
  .check(z.minLength(1, { error: "must list at least one resource" }));

// `acknowledge`, on a task or a statement: lint rule id → why its findings are accepted.
const acknowledgeMap = z
  .record(
    z.string().check(z.regex(RULE_ID_PATTERN, { error: "keys are lint rule ids such as escape-pass-role" })),
    z
      .string({ error: "the value is the reason the finding is accepted" })
      .check(
        z.minLength(1, { error: "must give the reason the finding is accepted" }),
        z.maxLength(1024, { error: "must have at most 1024 characters" }),
      ),
    { error: "must map lint rule ids to the reason each is accepted" },
  )
  .check(
    z.refine((value) => Object.keys(value).length <= MAX_ACKNOWLEDGED, {
      error: `at most ${MAX_ACKNOWLEDGED} acknowledged rules`,
    }),
  );

export const statementSchema = z
  .strictObject({
    sid: z.optional(
      z.string().check(z.regex(SID_PATTERN, { error: "must contain only letters and digits" })),
    ),
    actions: z.optional(actionList),
    notActions: z.optional(actionList),
    resources: z.optional(resourceList),
    notResources: z.optional(resourceList),
    conditions: z.optional(conditions),
    acknowledge: z.optional(acknowledgeMap),
  })
  .check(
    z.superRefine((value, ctx) => {
      const actionKeys = (value.actions ? 1 : 0) + (value.notActions ? 1 : 0);
      if (actionKeys !== 1) {
        ctx.addIssue({
          code: "custom",
          message:
            actionKeys === 0 ? "needs `actions`" : "must give either `actions` or `notActions`, not both",
        });
      }
      const resourceKeys = (value.resources ? 1 : 0) + (value.notResources ? 1 : 0);
      if (resourceKeys !== 1) {
        ctx.addIssue({
          code: "custom",
          message:
            resourceKeys === 0
              ? "needs `resources`"
              : "must give either `resources` or `notResources`, not both",
        });
      }
    }),
  );

// Whether a pattern can backtrack catastrophically, and whether a default matches its pattern,
// are checked once the whole file has passed this schema (check-patterns.ts), with one budget.
export const paramSchema = z.strictObject({
  pattern: z
    .string({ error: "`pattern` is required: a regular expression every value must match" })
    .check(
      z.minLength(1, { error: "must not be empty: a regular expression every value must match" }),
      z.maxLength(1024, { error: "must have at most 1024 characters" }),
      z.refine(isValidRegex, { error: "is not a valid regular expression" }),
    ),
  description: z.optional(z.string().check(z.maxLength(1024))),
  default: z.optional(z.string().check(z.maxLength(256))),
});

export const taskSchema = z.strictObject({
  description: z.optional(z.string().check(z.maxLength(1024))),
  role: z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? "`role` is required: the ARN of the role to assume"
          : "must be a string: the ARN of the role to assume",
    })
    .check(
      z.regex(ROLE_ARN_PATTERN, {
        error: "must be an IAM role ARN such as arn:aws:iam::123456789012:role/deployer",
      }),
    ),
  region: z.optional(
    z.string().check(z.regex(REGION_PATTERN, { error: "must be an AWS region such as eu-west-1" })),
  ),
  revoker: z.optional(
    z.string({ error: "must be a string: the ARN of the role that revokes this task's sessions" }).check(
      z.regex(ROLE_ARN_PATTERN, {
        error:
          "must be an IAM role ARN in the task role's account, such as arn:aws:iam::123456789012:role/taskaccess-revoker",
      }),
    ),
  ),
  duration: z.optional(durationWithin(MIN_DURATION_SECONDS, MAX_DURATION_SECONDS)),
  timeout: z.optional(durationWithin(1, MAX_TIMEOUT_SECONDS)),
  params: z.optional(
    z
      .record(
        z.string().check(z.regex(PARAM_NAME_PATTERN, { error: "parameter names are letters, digits and _" })),
        paramSchema,
      )
      .check(
        z.refine((value) => Object.keys(value).length <= MAX_PARAMS, {
          error: `at most ${MAX_PARAMS} parameters`,
        }),
      ),
  ),
  allow: z.array(statementSchema, { error: "must be a list of statements" }).check(
    z.minLength(1, {
      error: "must list at least one statement: a task with no access needs no taskaccess",
    }),
  ),
  deny: z.optional(z.array(statementSchema, { error: "must be a list of statements" })),
  policyArns: z.optional(
    z
      .array(z.string().check(z.regex(POLICY_ARN_PATTERN, { error: "must be an IAM managed policy ARN" })))
      .check(
        z.maxLength(MAX_POLICY_ARNS, {
          error: `STS accepts at most ${MAX_POLICY_ARNS} managed session policies`,
        }),
      ),
  ),
  tags: z.optional(
    z
      .record(
        z
          .string()
          .check(
            z.regex(TAG_KEY_PATTERN, { error: "tag keys are 1-128 letters, digits, spaces and _.:/=+-@" }),
          ),
        z.string({ error: "tag values are strings" }).check(
          z.regex(TAG_VALUE_PATTERN, {
            error: "tag values are at most 256 letters, digits, spaces and _.:/=+-@",
          }),
        ),
      )
      .check(
        z.superRefine((value, ctx) => {
          const keys = Object.keys(value);
          if (keys.length > MAX_TASK_TAGS) {
            ctx.addIssue({
              code: "custom",
              message: `at most ${MAX_TASK_TAGS} tags (STS allows 50, taskaccess sets 2)`,
            });
          }
          for (const key of keys) {
            if (/^(aws|taskaccess):/i.test(key)) {
              ctx.addIssue({
                code: "custom",
                path: [key],
                message: `uses the reserved tag prefix "${key.split(":")[0]}:"`,
                params: { target: "key" },
              });
            }
          }
        }),
      ),
  ),
  externalId: z.optional(
    z.string({ error: "must be a string: the external id the role's trust policy asks for" }).check(
      z.minLength(2, { error: "must have at least 2 characters (STS ExternalId: 2 to 1224)" }),
      z.regex(EXTERNAL_ID_TEMPLATE_PATTERN, {
        error: "may hold only letters, digits, _+=,.@:/- and {{param}} placeholders (STS ExternalId)",
      }),
      z.refine((value) => value.includes("{{") || value.length <= MAX_EXTERNAL_ID_LENGTH, {
        error: `must have at most ${MAX_EXTERNAL_ID_LENGTH} characters (STS ExternalId: 2 to 1224)`,
      }),
    ),
  ),
  reason: z.optional(z.enum(["required", "optional"], { error: "must be `required` or `optional`" })),
  credentials: z.optional(z.enum(["env", "server", "file"], { error: "must be `env`, `server` or `file`" })),
  isolation: z.optional(
    z.enum(["auto", "namespace", "none"], { error: "must be `auto`, `namespace` or `none`" }),
  ),
  acknowledge: z.optional(acknowledgeMap),
});

export const taskFileSchema = z.strictObject({
  $schema: z.optional(z.string()),
  version: z.literal(1, { error: "must be 1 (the only task-file version so far)" }),
  region: z.optional(
    z.string().check(z.regex(REGION_PATTERN, { error: "must be an AWS region such as eu-west-1" })),
  ),
  log: z.optional(
    z.string().check(
      z.minLength(1),
      z.maxLength(4096),
      z.superRefine((log, ctx) => {
        const problem = findLogSettingProblem(log);
        if (problem) ctx.addIssue({ code: "custom", message: problem, params: { hint: LOG_SETTING_HINT } });
      }),
    ),
  ),
  tasks: z
    .record(
      z.string().check(
        z.regex(TASK_NAME_PATTERN, {
          error: "task names are up to 40 letters, digits, '_', '.' and '-', starting with a letter or digit",
        }),
      ),
      taskSchema,
      { error: "must map task names to task definitions" },
    )
    .check(
      z.refine((value) => Object.keys(value).length > 0, { error: "must define at least one task" }),
      z.refine((value) => Object.keys(value).length <= MAX_TASKS, { error: `at most ${MAX_TASKS} tasks` }),
    ),
});

export type RawTaskFile = z.infer<typeof taskFileSchema>;
export type RawTask = z.infer<typeof taskSchema>;
export type RawStatement = z.infer<typeof statementSchema>;
export type RawParam = z.infer<typeof paramSchema>;

function isValidRegex(pattern: string): boolean {
  try {
    new RegExp(pattern, "u");
    return true;
  } catch {
    return false;
  }
}

// A duration field with its range checked on the field itself, so the error is reported
// together with any other problem in the same task.
function durationWithin(min: number, max: number) {
  return durationInput.check(
    z.superRefine((value, ctx) => {
      const seconds = parseDuration(value);
      if (seconds === undefined) return;
      if (seconds < min || seconds > max) {
        ctx.addIssue({
          code: "custom",
          message: `must be between ${formatBound(min)} and ${formatBound(max)} (got ${JSON.stringify(value)})`,
        });
      }
    }),
  );
}

function formatBound(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
