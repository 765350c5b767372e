import { homedir, hostname, userInfo } from "node:os";
import { Command } from "commander";
import { UsageError } from "../../errors.js";
import { exitStatusOf } from "../../session/exit-status.js";
import type { CallerIdentity, CredentialIssuer } from "../../session/ports.js";
import type { RunOutcome } from "../../session/run-session.js";
import { parseDuration } from "../../task/duration.js";
import { parseParamFlags } from "../../task/params.js";
import { type AwsFlags, addAwsOptions, awsClientOptions } from "../aws-options.js";
import { collect } from "../collect.js";
import type { CliContext } from "../context.js";
import { formatFinding } from "../format-diagnostics.js";
import { globalOptions } from "../global-options.js";
import { stringifyJson } from "../json-output.js";
import { runProgressDisplay } from "../progress-display.js";
import { reportError } from "../report-error.js";
import { runEnding } from "../run-ending.js";
import { runSummary, runSummaryJson } from "../run-summary-json.js";
import { warningLine } from "../warning.js";

interface RunOptions extends AwsFlags {
  param?: string[];
  reason?: string;
  log?: string;
  nested?: boolean;
  printEnv?: boolean;
  credentials?: string;
  isolation?: string;
  revokeWithin?: string;
  confirm?: boolean;
  confirmWithin?: string;
  logRetention?: string;
  json?: boolean;
  duration?: string;
  mfaSerial?: string;
  mfaToken?: string;
  quiet?: boolean;
}

// `taskaccess run TASK -- COMMAND`: the main job. Thin: flags to a plan, the plan to runSession.
export function runCommand(ctx: CliContext): Command {
  return addAwsOptions(new Command("run"))
    .description("run COMMAND with credentials for exactly TASK, revoked when it exits")
    .argument("<task>", "task name")
    .argument("[command...]", "the command to run, after -- (none: $SHELL, on an interactive terminal)")
    .usage("[options] <task> [-- <command> [args...]]")
    .option("-p, --param <name=value>", "a parameter value (repeatable)", collect)
    .option("-r, --reason <text>", "why this run is needed (recorded; required by some tasks)")
    .option("--log <path>", "session log file (default: $XDG_STATE_HOME/taskaccess/sessions.jsonl)")
    .option("--nested", "allow a run inside another run")
    .option(
      "--credentials <mode>",
      "how the command gets credentials: env (variables), server (a local endpoint that refreshes them) or file (a temporary profile); default: the task's `credentials`, else env",
    )
    .option(
      "--isolation <mode>",
      "auto (isolate the command in its own namespaces where the kernel allows, the default), namespace (isolate or refuse to run) or none; default: the task's `isolation`, else auto",
    )
    .option(
      "--revoke-within <duration>",
      "after the first SIGINT, SIGTERM or SIGHUP, revoke within this time even if the command is still cleaning up (default 5s)",
    )
    .option(
      "--confirm-within <duration>",
      "after revoking, check with the session's own credentials that AWS refuses them, for up to this long (default 30s)",
    )
    .option("--no-confirm", "do not check that AWS refuses the revoked credentials (recorded as skipped)")
    .option(
      "--log-retention <mode:days>",
      "S3 logs: Object Lock retention of each record, e.g. COMPLIANCE:400 (default: TASKACCESS_LOG_RETENTION, else the bucket's)",
    )
    .option(
      "--duration <duration>",
      "a shorter credential lifetime than the task's `duration` for this run (15m at least)",
    )
    .option(
      "--mfa-serial <arn>",
      "the MFA device to assume the role with (default: mfa_serial of the profile in use)",
    )
    .option(
      "--mfa-token <code>",
      "the device's current six-digit code (default: asked for on the terminal; without one, refused)",
    )
    .option(
      "--print-env",
      "print the names of the variables the command gets and loses, then stop (the command may be left out)",
    )
    .option(
      "--json",
      "end with one JSON object on stderr instead of the summary line (stdout is the command's)",
    )
    .option("-q, --quiet", "no progress lines on a terminal (warnings and the summary stay)")
    .action(async (taskName: string, command: string[], options: RunOptions, cmd: Command) => {
      const { createIamRevoker } = await import("../../aws/iam-revoker.js");
      const { createStsIssuer } = await import("../../aws/sts-issuer.js");
      const { createRevocationConfirmer } = await import("../../aws/confirm-revocation.js");
      const { buildChildEnv } = await import("../../session/child-env.js");
      const { createRoleLock } = await import("../../session/role-lock.js");
      const { lockDirectoryFor, openAuditLog } = await import("../open-audit-log.js");
      const { appendGithubSummary } = await import("../github-summary.js");
      const { cryptoRandom } = await import("../../sandbox/ids.js");
      const { parseCredentialMode, previewCredentialVariables } = await import(
        "../../session/credential-delivery.js"
      );
      const { planRun } = await import("../../session/plan-run.js");
      const { createProcessRunner, FORWARDED_SIGNALS } = await import("../../session/process-runner.js");
      const { runSession } = await import("../../session/run-session.js");
      const { parseIsolationMode } = await import("../../session/isolation.js");
      const { prepareIsolation } = await import("../../session/prepare-isolation.js");
      const { probeIsolation } = await import("../../session/isolation-probe.js");
      const { findCommand } = await import("../../session/find-command.js");
      const { iamRegionFor } = await import("../../aws/iam-partition.js");
      const { openTaskFile } = await import("../../task/open-task-file.js");
      const { io } = ctx;
      const taskFile = await openTaskFile({
        cwd: io.cwd,
        file: globalOptions(cmd).file,
        envFile: io.env.TASKACCESS_FILE,
      });
      for (const warning of taskFile.warnings ?? []) io.stderr(formatFinding(ctx.err, warning));
      // MFA (run-mfa.ts): the device now, its one-time code as late as can be before any AWS call.
      const { resolveMfaDevice, obtainMfaCode } = await import("../run-mfa.js");
      const mfaDevice = await resolveMfaDevice({
        serialFlag: options.mfaSerial,
        tokenFlag: options.mfaToken,
        profile: options.profile,
        env: io.env,
      });
      const plan = await planRun(taskFile, {
        taskName,
        params: parseParamFlags(options.param ?? []),
        reason: options.reason,
        command,
        commandOptional: Boolean(options.printEnv),
        terminal: io.stdinIsTTY === true && io.stderrIsTTY,
        nested: Boolean(options.nested),
        credentials: options.credentials === undefined ? undefined : parseCredentialMode(options.credentials),
        isolation: options.isolation === undefined ? undefined : parseIsolationMode(options.isolation),
        revokeWithinMs:
          options.revokeWithin === undefined ? undefined : parseRevokeWithin(options.revokeWithin),
        duration: options.duration,
        mfaSerial: mfaDevice?.serial,
        env: io.env,
        localUser: safeUserName(),
        random: cryptoRandom,
      });
      for (const warning of plan.warnings) io.stderr(formatFinding(ctx.err, warning));
      if (options.printEnv) {
        const preview = buildChildEnv({
          parent: io.env,
          credentialVariables: previewCredentialVariables(plan.credentials),
          region: plan.task.region ?? options.region ?? "",
          sessionId: plan.sessionId,
          task: plan.task.name,
        });
        if (options.json) return io.stdout(stringifyJson({ set: preview.set, removed: preview.removed }));
        io.stdout(`set: ${preview.set.join(" ")}\n`);
        io.stdout(`removed: ${preview.removed.length > 0 ? preview.removed.join(" ") : "(none)"}\n`);
        return;
      }
      findCommand(plan.command, { cwd: io.cwd, path: io.env.PATH });
      // Progress on a terminal (progress-display.ts); warnings go through it so as not to break a line.
      const progress = runProgressDisplay(ctx, Boolean(options.quiet));
      const warn = (message: string) => progress.write(warningLine(ctx, message));
      // The partition's IAM endpoint revokes; an ARN in a partition taskaccess does not know is
      // refused now, before anything is issued.
      iamRegionFor(plan.task.role);
      const mfaCode = mfaDevice ? await obtainMfaCode(mfaDevice, options.mfaToken, io.readSecret) : undefined;
      const stsDeadlineMs = parseStsDeadline(io.env.TASKACCESS_STS_DEADLINE);
      const confirmWithinMs = parseConfirmWithin(options.confirmWithin);
      const audit = await openAuditLog({
        flag: options.log,
        env: io.env,
        taskFile,
        cwd: io.cwd,
        aws: options,
        retention: options.logRetention,
        warn,
      });
      const isolation = prepareIsolation({
        requested: plan.isolation,
        probe: () => probeIsolation(),
        env: io.env,
        homedir: homedir(),
        cwd: io.cwd,
        // An S3 log is not on this machine; its spool is in the state directory, hidden anyway.
        logPath: audit.remote ? undefined : audit.path,
        uid: process.getuid?.() ?? 0,
        gid: process.getgid?.() ?? 0,
        shell: plan.interactive ? plan.command : undefined,
      });
      if (isolation.warning) io.stderr(`${ctx.err.yellow("warning")}: ${isolation.warning}\n`);
      const clientOptions = await awsClientOptions(options, io.env, plan.task.region, warn);
      const issuer = sharedCallerIdentity(createStsIssuer(clientOptions.sts));
      const signals = io.signals;
      const interrupt = new AbortController();
      let interruptedBy: NodeJS.Signals | undefined;
      const onSignal = (signal: NodeJS.Signals) => () => {
        interruptedBy ??= signal;
        interrupt.abort();
      };
      const listeners = FORWARDED_SIGNALS.map((signal) => ({ signal, listener: onSignal(signal) }));
      for (const { signal, listener } of listeners) signals?.on(signal, listener);
      try {
        const outcome = await runSession(plan, {
          issuer,
          revoker: createIamRevoker({
            ...clientOptions.iam,
            sts: clientOptions.sts,
            callerAccount: async () => (await issuer.callerIdentity()).account,
            revokerRoleFor: () => plan.task.revoker,
            externalIdFor: () => plan.externalId,
            revokerSessionName: `taskaccess-revoker-${plan.sessionId}`,
            sourceIdentity: plan.sourceIdentity,
            clock: { now: Date.now },
            serialize: createRoleLock({
              directory: lockDirectoryFor(audit.path, io.env),
              host: hostname(),
              clock: { now: Date.now },
            }),
          }),
          runner: createProcessRunner(signals ?? { on: () => {}, off: () => {} }),
          audit,
          clock: { now: Date.now },
          host: hostname(),
          cwd: io.cwd,
          env: io.env,
          argv: [plan.command, ...plan.args],
          pid: process.pid,
          isolation,
          interrupt: interrupt.signal,
          interruptedBy: () => interruptedBy,
          warn,
          progress,
          stsDeadline: { ms: stsDeadlineMs, signal: AbortSignal.timeout(stsDeadlineMs) },
          mfaCode,
          ...(audit.remote ? { lease: leaseSetting(io.env.TASKACCESS_LEASE_SECONDS) } : {}),
          ...(options.confirm === false
            ? {}
            : {
                confirm: {
                  confirmer: createRevocationConfirmer({
                    iam: clientOptions.iam,
                    now: Date.now,
                    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
                  }),
                  withinMs: confirmWithinMs,
                },
              }),
        });
        progress.end();
        // Nothing was ever granted: the failure is reported like any error before the session.
        if (outcome.failure && outcome.sessions === 0) throw outcome.failure;
        // The error first, then the summary: the last line on stderr always says whether access ended.
        ctx.exitCode = outcome.failure ? reportError(ctx, outcome.failure, false) : outcome.exitCode;
        // The chain head after this run: kept elsewhere (CI output, the job summary), it anchors a
        // local log that the command could otherwise rewrite with a chain that still verifies.
        const logHead = audit.remote ? undefined : audit.head();
        await appendGithubSummary(ctx, plan, outcome, logHead);
        if (logHead && !options.json) {
          io.stderr(
            `taskaccess: log ${audit.path} head ${logHead} (check it later: taskaccess log verify --head ${logHead})\n`,
          );
        }
        io.stderr(
          options.json
            ? runSummaryJson(plan.task.name, outcome, logHead)
            : summarize(ctx, plan.task.name, outcome),
        );
        io.onRunSummary?.(runSummary(plan.task.name, outcome, logHead));
      } finally {
        progress.end();
        for (const { signal, listener } of listeners) signals?.off(signal, listener);
      }
    });
}

function summarize(ctx: CliContext, task: string, outcome: RunOutcome): string {
  const c = ctx.err;
  const seconds = (outcome.durationMs / 1000).toFixed(1);
  const ending = runEnding(outcome);
  const cause =
    ending.kind === "signal"
      ? `killed by ${ending.signal}, `
      : ending.kind === "exit"
        ? ""
        : `${ending.kind}, `;
  // A failed revocation overrides the command's code (exit 69); the summary keeps both.
  const commandCode = outcome.child ? exitStatusOf(outcome.child) : undefined;
  const how =
    !outcome.revoked && commandCode !== undefined && commandCode !== outcome.exitCode
      ? `${cause}command exit ${commandCode}, exit ${outcome.exitCode}`
      : `${cause}exit ${outcome.exitCode}`;
  const head = `taskaccess: task ${task}, session ${outcome.sessionName}, ${how}, ${seconds}s`;
  if (outcome.revoked) return `${head}, ${c.green("access revoked")}${describeConfirmation(ctx, outcome)}\n`;
  const until = outcome.expiration?.toISOString() ?? "their expiry";
  return `${head}, ${c.red.bold(`REVOCATION FAILED: the credentials stay valid until ${until}`)} (${outcome.revocationError?.message ?? "unknown error"}); run \`taskaccess revoke --pending\`\n`;
}

/** How long GetCallerIdentity and AssumeRole may take together, retries included, by default. */
export const DEFAULT_STS_DEADLINE_SECONDS = 60;

// TASKACCESS_STS_DEADLINE: seconds, checked before anything happens like every other input.
function parseStsDeadline(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_STS_DEADLINE_SECONDS * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new UsageError(
      `TASKACCESS_STS_DEADLINE=${JSON.stringify(value)} is not a number of seconds`,
      "give seconds from 0.1 to 3600 (default 60)",
    );
  }
  return Math.round(seconds * 1000);
}

// --revoke-within: a duration as in the task file (5s, 1m), from 1 s to 5 minutes.
function parseRevokeWithin(value: string): number {
  return parseDurationFlag("--revoke-within", value, "5m", "give a duration such as 5s (the default) or 1m");
}

// --confirm-within: how long to wait for AWS to refuse the revoked credentials, 1 s to 10 minutes.
function parseConfirmWithin(value: string | undefined): number {
  if (value === undefined) return DEFAULT_CONFIRM_WITHIN_MS;
  return parseDurationFlag(
    "--confirm-within",
    value,
    "10m",
    "give a duration such as 30s (the default) or 2m, or --no-confirm",
  );
}

// A flag's duration (as in the task file: 5s, 1m) from 1 s to `most`, in milliseconds.
function parseDurationFlag(flag: string, value: string, most: string, hint: string): number {
  const seconds = parseDuration(value);
  if (seconds === undefined || seconds < 1 || seconds > (parseDuration(most) ?? 0)) {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a duration from 1s to ${most}`, hint);
  }
  return seconds * 1000;
}

/** IAM propagation usually takes seconds; 30 s bounds what a run's end may wait for it. */
const DEFAULT_CONFIRM_WITHIN_MS = 30_000;

// An S3 log's lease: 180 s, renewed every 60 s (a third); TASKACCESS_LEASE_SECONDS sets it (3-3600).
function leaseSetting(value: string | undefined): { everyMs: number; ttlMs: number } {
  const seconds = value === undefined || value === "" ? 180 : Number(value);
  if (!Number.isInteger(seconds) || seconds < 3 || seconds > 3600) {
    throw new UsageError(
      `TASKACCESS_LEASE_SECONDS=${JSON.stringify(value)} is not a whole number of seconds from 3 to 3600`,
      "leave it unset for 180 s",
    );
  }
  return { everyMs: (seconds * 1000) / 3, ttlMs: seconds * 1000 };
}

function safeUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

// One GetCallerIdentity per run: the revoker needs the caller's account that the run already asked for.
function sharedCallerIdentity(issuer: CredentialIssuer): CredentialIssuer {
  let caller: Promise<CallerIdentity> | undefined;
  return {
    ...issuer,
    callerIdentity: (signal) => {
      caller ??= issuer.callerIdentity(signal);
      return caller;
    },
  };
}

// What the summary says about the revocation's confirmation: how soon AWS refused the session, or
// that it had not yet within the wait (the deny is written; IAM propagation is not done).
function describeConfirmation(ctx: CliContext, outcome: RunOutcome): string {
  const confirmation = outcome.confirmation;
  if (!confirmation || confirmation.seen + confirmation.notSeen === 0) return " (not confirmed)";
  if (confirmation.notSeen > 0) {
    return ctx.err.yellow(
      ` (deny written, but AWS still did not refuse the credentials after ${seconds(confirmation.withinMs)}: IAM propagation; see docs/security-model.md)`,
    );
  }
  return ` (AWS refused the credentials ${seconds(confirmation.maxAfterMs ?? 0)} after the deny was written)`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
