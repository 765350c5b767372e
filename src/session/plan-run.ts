import { createHash } from "node:crypto";
import { ExitCode, TaskAccessError, UsageError } from "../errors.js";
import { analyzeTask } from "../policy/analyze-task.js";
import type { Finding } from "../policy/finding.js";
import { resolveExternalId } from "../task/external-id.js";
import type { TaskDefinition, TaskFile } from "../task/model.js";
import { findTask } from "../task/open-task-file.js";
import { resolveParams } from "../task/params.js";
import { type CiRun, detectCi } from "./ci.js";
import { type CredentialMode, DEFAULT_CREDENTIAL_MODE } from "./credential-modes.js";
import { chooseCommand } from "./interactive-shell.js";
import { DEFAULT_ISOLATION_MODE, type IsolationMode } from "./isolation.js";
import { runDurationSeconds } from "./run-duration.js";
import { makeSessionId, makeSessionName, sanitizeSourceIdentity } from "./session-id.js";

/** Time the child gets between SIGTERM and SIGKILL when the task's timeout runs out. */
export const DEFAULT_GRACE_MS = 10_000;
/**
 * After the first SIGINT, SIGTERM or SIGHUP the session is revoked within this time even if the
 * command is still cleaning up: CI runners send SIGKILL 7.5 to 10 s after their first signal.
 */
export const DEFAULT_REVOKE_WITHIN_MS = 5_000;

export interface RunRequest {
  taskName: string;
  params: Record<string, string>;
  reason?: string | undefined;
  command: string[];
  /** `--print-env` runs nothing: the command may be left out (the plan's command is then ""). */
  commandOptional?: boolean | undefined;
  /** stdin and stderr are a terminal: without a command, $SHELL runs (interactive-shell.ts). */
  terminal?: boolean | undefined;
  nested: boolean;
  /** `--credentials`; wins over the task's `credentials`. */
  credentials?: CredentialMode | undefined;
  /** `--isolation`; wins over the task's `isolation`. */
  isolation?: IsolationMode | undefined;
  /** `--revoke-within`, in ms. */
  revokeWithinMs?: number | undefined;
  /** `--duration` as given: may only shorten the task's `duration` (run-duration.ts). */
  duration?: string | undefined;
  /** The MFA device the role is assumed with (`--mfa-serial`, or the profile's mfa_serial), checked. */
  mfaSerial?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  localUser: string | undefined;
  random: { bytes: (count: number) => Buffer };
}

// Everything a run will do, decided before any AWS call: the task, the exact policy, the names.
export interface RunPlan {
  task: TaskDefinition;
  params: Record<string, string>;
  reason: string | null;
  command: string;
  args: string[];
  /** No command was given: the command is the user's shell, for a person at the terminal. */
  interactive: boolean;
  policy: string;
  policySha256: string;
  sessionId: string;
  sessionName: string;
  sourceIdentity: string | undefined;
  tags: Record<string, string>;
  ci: CiRun | undefined;
  warnings: Finding[];
  timeoutMs: number | undefined;
  graceMs: number;
  /** How the command gets its credentials: the flag, else the task's `credentials`, else env. */
  credentials: CredentialMode;
  /** The isolation asked for: the flag, else the task's `isolation`, else auto. */
  isolation: IsolationMode;
  /** After the first stop signal, the session is revoked within this time. */
  revokeWithinMs: number;
  /** STS DurationSeconds: the task's `duration`, or the shorter `run --duration`. */
  durationSeconds: number;
  /** STS ExternalId: the task's `externalId` with the parameters filled in. */
  externalId: string | undefined;
  /** STS SerialNumber of the first AssumeRole; its one-time code is in RunDeps, never in the plan. */
  mfaSerial: string | undefined;
}

// parse → validate → plan: refuses a bad task, parameter, reason or nesting before AWS is called.
export async function planRun(taskFile: TaskFile, request: RunRequest): Promise<RunPlan> {
  const outer = request.env.TASKACCESS_SESSION;
  if (outer && !request.nested) {
    throw new UsageError(
      `already inside taskaccess session ${outer} (task ${request.env.TASKACCESS_TASK ?? "?"}); a run inside a run is refused`,
      "pass --nested if the inner task is meant to start from the outer session's credentials",
    );
  }
  const { command, args, interactive } = chooseCommand({
    command: request.command,
    commandOptional: Boolean(request.commandOptional),
    terminal: Boolean(request.terminal),
    env: request.env,
  });
  const task = findTask(taskFile, request.taskName);
  const params = resolveParams(taskFile, task, request.params);
  const reason = request.reason?.trim() ? request.reason.trim() : null;
  if (task.reason === "required" && reason === null) {
    throw new TaskAccessError(`task "${task.name}" requires a reason`, {
      exitCode: ExitCode.usage,
      hint: 'add --reason "why this run is needed" (it is recorded in the session log)',
    });
  }
  const analysis = await analyzeTask(taskFile, task, params);
  const errors = analysis.findings.filter((finding) => finding.severity === "error");
  if (errors.length > 0) {
    const first = errors[0];
    throw new TaskAccessError(
      `task "${task.name}" is refused: ${errors.length} error finding${errors.length > 1 ? "s" : ""}, first: ${first?.rule}: ${first?.message}`,
      { exitCode: ExitCode.taskFile, hint: `run \`taskaccess explain ${task.name}\` to see them all` },
    );
  }
  const durationSeconds = runDurationSeconds(task, request.duration);
  const externalId = resolveExternalId(taskFile, task, params);
  const credentials = request.credentials ?? task.credentials ?? DEFAULT_CREDENTIAL_MODE;
  if (request.mfaSerial !== undefined && credentials === "server") {
    // Each refresh is a new AssumeRole, which a role that requires MFA refuses without a new code;
    // taskaccess cannot ask for one while the command has the terminal, and a code is good once.
    throw new UsageError(
      `the server credential delivery (${request.credentials ? "--credentials server" : "the task's `credentials: server`"}) cannot be used with MFA: it re-assumes the role to refresh the credentials, and each AssumeRole needs a new MFA code, which taskaccess cannot ask for while the command runs`,
      "use --credentials env or file: the credentials then last the task's duration",
    );
  }
  const ci = detectCi(request.env);
  const sessionId = makeSessionId(request.random);
  return {
    task,
    params,
    reason,
    command,
    args,
    interactive,
    policy: analysis.policy.json,
    policySha256: createHash("sha256").update(analysis.policy.json).digest("hex"),
    sessionId,
    sessionName: makeSessionName(task.name, sessionId),
    sourceIdentity: sanitizeSourceIdentity(ci?.actor ?? request.localUser),
    tags: { ...task.tags, "taskaccess:task": task.name, "taskaccess:session": sessionId },
    ci,
    warnings: analysis.findings.filter((finding) => finding.severity === "warning"),
    timeoutMs: task.timeoutSeconds === undefined ? undefined : task.timeoutSeconds * 1000,
    graceMs: DEFAULT_GRACE_MS,
    credentials,
    isolation: request.isolation ?? task.isolation ?? DEFAULT_ISOLATION_MODE,
    revokeWithinMs: request.revokeWithinMs ?? DEFAULT_REVOKE_WITHIN_MS,
    durationSeconds,
    externalId,
    mfaSerial: request.mfaSerial,
  };
}
