import { hostname } from "node:os";
import { Command } from "commander";
import type { IamRevoker } from "../../aws/iam-revoker.js";
import { ExitCode, UsageError } from "../../errors.js";
import type { CallerIdentity } from "../../session/ports.js";
import type { RevokeReport } from "../../session/revoke-sessions.js";
import type { SessionSummary } from "../../session/session-summary.js";
import { type AwsFlags, addAwsOptions, awsClientOptions, stsForRoles } from "../aws-options.js";
import type { CliContext } from "../context.js";
import { stringifyJson } from "../json-output.js";
import { locateLog } from "../log-location.js";
import { externalIdsOf, revokerRolesOf } from "../revoker-roles.js";
import { warningLine } from "../warning.js";

/** How far back `revoke --pending` reads an S3 log: STS sessions last at most 12 hours. */
const PENDING_DAYS = 2;

interface RevokeOptions extends AwsFlags {
  pending?: boolean;
  verify?: boolean;
  fix?: boolean;
  log?: string;
  json?: boolean;
}

// `taskaccess revoke SESSION | --pending`: finishes what a killed run or a failing IAM left open.
export function revokeCommand(ctx: CliContext): Command {
  return addAwsOptions(new Command("revoke"))
    .description(
      "revoke a session now, or every session left unrevoked (--pending); check that IAM still denies the revoked ones (--verify)",
    )
    .argument("[session]", "session id or session name (ta-…)")
    .option("--pending", "every session whose revocation failed, or whose taskaccess died, while unexpired")
    .option(
      "--verify",
      "check that IAM still denies every unexpired session the log calls revoked (exit 1 if not)",
    )
    .option("--fix", "with --verify: revoke again every session whose deny is gone")
    .option("--log <path>", "session log file (default: as for run)")
    .option("--json", "print one JSON object")
    .action(async (id: string | undefined, options: RevokeOptions, cmd: Command) => {
      if (options.fix && !options.verify) {
        throw new UsageError("--fix goes with --verify", "`taskaccess revoke --verify --fix`");
      }
      if (options.verify) {
        if (id !== undefined || options.pending) {
          throw new UsageError("give --verify alone, without a session or --pending");
        }
        await verifyRevocations(ctx, cmd, options);
        return;
      }
      if ((id === undefined) === !options.pending) {
        throw new UsageError(
          id === undefined
            ? "name a session to revoke, or give --pending"
            : "give a session or --pending, not both",
          "`taskaccess log` lists the sessions and whether each was revoked",
        );
      }
      await revokeNowOrPending(ctx, cmd, id, options);
    });
}

// `revoke --verify [--fix]`: every unexpired session the log calls revoked, checked against IAM.
async function verifyRevocations(ctx: CliContext, cmd: Command, options: RevokeOptions): Promise<void> {
  const { runRevokeVerify } = await import("./revoke-verify.js");
  const { createRolePolicyReader } = await import("../../aws/role-policy-reader.js");
  const { loadSessions } = await import("../../session/load-sessions.js");
  const { revokeSessions } = await import("../../session/revoke-sessions.js");
  const { openAuditLog, sessionDays } = await import("../open-audit-log.js");
  const { logStoreOpener } = await import("../log-store.js");
  const path = await locateLog(ctx, cmd, options.log);
  const loaded = await loadSessions(path, { openStore: logStoreOpener(ctx.io.env, options) });
  const { revoker, caller, host } = await revokerFor(ctx, options, loaded.sessions, path);
  await runRevokeVerify(ctx, {
    logPath: path,
    loaded,
    fix: options.fix === true,
    json: options.json === true,
    reader: createRolePolicyReader(revoker.contextFor),
    revokeAgain: async (targets) =>
      revokeSessions(targets, {
        revoker,
        audit: await openAuditLog({
          flag: path,
          env: ctx.io.env,
          cwd: ctx.io.cwd,
          aws: options,
          dayOfSession: sessionDays(loaded.sessions),
        }),
        clock: { now: Date.now },
        host,
        revokedBy: (await caller()).arn,
      }),
  });
}

// `revoke SESSION` and `revoke --pending`: revoke now, record it, report each session.
async function revokeNowOrPending(
  ctx: CliContext,
  cmd: Command,
  id: string | undefined,
  options: RevokeOptions,
): Promise<void> {
  const { loadSessions } = await import("../../session/load-sessions.js");
  const { findSession, revokeSessions } = await import("../../session/revoke-sessions.js");
  const { findPendingSessions } = await import("../../session/session-summary.js");
  const { isProcessAlive } = await import("../../audit/file-lock.js");
  const { openAuditLog, sendSpooled, sessionDays } = await import("../open-audit-log.js");
  const { logStoreOpener } = await import("../log-store.js");
  const warn = (message: string) => ctx.io.stderr(warningLine(ctx, message));
  const path = await locateLog(ctx, cmd, options.log);
  await sendSpooled(path, { env: ctx.io.env, aws: options, warn });
  // An S3 log is laid out by day: --pending reads only the last two days' folders (no STS
  // session lasts more than 12 hours, so an older one has expired anyway).
  const { sessions } = await loadSessions(path, {
    openStore: logStoreOpener(ctx.io.env, options),
    ...(options.pending ? { since: new Date(Date.now() - PENDING_DAYS * 86_400_000) } : {}),
  });
  const targets = options.pending
    ? findPendingSessions(sessions, { now: Date.now(), host: hostname(), isAlive: isProcessAlive })
    : [findSession(sessions, id ?? "")];
  if (targets.length === 0) {
    if (options.json) ctx.io.stdout(stringifyJson({ log: path, revoked: [], failed: [] }));
    else ctx.io.stdout(`nothing to revoke: every unexpired session in ${path} is revoked or still running\n`);
    return;
  }
  const audit = await openAuditLog({
    flag: path,
    env: ctx.io.env,
    cwd: ctx.io.cwd,
    aws: options,
    dayOfSession: sessionDays(sessions),
    warn,
  });
  const { revoker, caller, host } = await revokerFor(ctx, options, sessions, audit.path, targets);
  // Who revokes is asked before anything is revoked: no credentials, no half-done work.
  const revokedBy = (await caller()).arn;
  const reports = await revokeSessions(targets, {
    revoker,
    audit,
    clock: { now: Date.now },
    host,
    revokedBy,
  });
  const failed = reports.filter((report) => !report.revoked);
  if (failed.length > 0) ctx.exitCode = ExitCode.unavailable;
  if (options.json) {
    ctx.io.stdout(
      stringifyJson({
        log: path,
        revoked: reports.filter((report) => report.revoked).map(reportJson),
        failed: failed.map(reportJson),
      }),
    );
    return;
  }
  printReports(ctx, reports);
}

// The IAM side of revoking the log's sessions, the way each run went (its revoker role, its external
// id), serialized per role with the runs on this host; the caller is asked once, when first needed.
async function revokerFor(
  ctx: CliContext,
  options: RevokeOptions,
  sessions: readonly SessionSummary[],
  logPath: string,
  targets: readonly SessionSummary[] = sessions,
): Promise<{ revoker: IamRevoker; caller: () => Promise<CallerIdentity>; host: string }> {
  const { createIamRevoker } = await import("../../aws/iam-revoker.js");
  const { createStsIssuer } = await import("../../aws/sts-issuer.js");
  const { createRoleLock } = await import("../../session/role-lock.js");
  const { lockDirectoryFor } = await import("../open-audit-log.js");
  const clientOptions = await awsClientOptions(options, ctx.io.env, undefined, (message) =>
    ctx.io.stderr(warningLine(ctx, message)),
  );
  const sts = await stsForRoles(
    clientOptions.sts,
    ctx.io.env,
    targets.map((target) => target.role),
  );
  let identity: Promise<CallerIdentity> | undefined;
  const caller = () => {
    identity ??= createStsIssuer(sts).callerIdentity();
    return identity;
  };
  const host = hostname();
  const revoker = createIamRevoker({
    ...clientOptions.iam,
    sts,
    callerAccount: async () => (await caller()).account,
    revokerRoleFor: revokerRolesOf(sessions),
    externalIdFor: externalIdsOf(sessions),
    clock: { now: Date.now },
    serialize: createRoleLock({
      directory: lockDirectoryFor(logPath, ctx.io.env),
      host,
      clock: { now: Date.now },
    }),
  });
  return { revoker, caller, host };
}

// One line a session: revoked, already revoked, or not revoked (on stderr, in red).
function printReports(ctx: CliContext, reports: readonly RevokeReport[]): void {
  for (const report of reports) {
    const name = report.session.sessionName ?? report.session.session;
    if (report.alreadyRevoked)
      ctx.io.stdout(`${name} (task ${report.session.task}) is already revoked: nothing to do\n`);
    else if (report.revoked)
      ctx.io.stdout(
        `${ctx.out.green("revoked")} ${name} (task ${report.session.task}): ${report.policyName}\n`,
      );
    else
      ctx.io.stderr(
        `${ctx.err.red.bold("NOT REVOKED")} ${name} (task ${report.session.task}), valid until ${report.session.expiresAt ?? "its expiry"}: ${report.error}\n`,
      );
  }
}

function reportJson(report: RevokeReport): Record<string, unknown> {
  return {
    session: report.session.session,
    sessionName: report.session.sessionName,
    task: report.session.task,
    role: report.session.role,
    expiresAt: report.session.expiresAt,
    ...(report.policyName ? { policyName: report.policyName } : {}),
    ...(report.alreadyRevoked ? { alreadyRevoked: true } : {}),
    ...(report.error ? { error: report.error } : {}),
  };
}
