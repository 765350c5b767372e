import { hostname } from "node:os";
import { Command } from "commander";
import { isProcessAlive } from "../../audit/file-lock.js";
import { ExitCode, UsageError } from "../../errors.js";
import type { CallerIdentity } from "../../session/ports.js";
import type { RevokeReport } from "../../session/revoke-sessions.js";
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
      const { createIamRevoker } = await import("../../aws/iam-revoker.js");
      const { createStsIssuer } = await import("../../aws/sts-issuer.js");
      const { loadSessions } = await import("../../session/load-sessions.js");
      const { findSession, revokeSessions } = await import("../../session/revoke-sessions.js");
      const { createRoleLock } = await import("../../session/role-lock.js");
      const { findPendingSessions } = await import("../../session/session-summary.js");
      const { lockDirectoryFor, openAuditLog, sendSpooled, sessionDays } = await import(
        "../open-audit-log.js"
      );
      const warn = (message: string) => ctx.io.stderr(`${ctx.err.yellow("warning")}: ${message}\n`);
      const { logStoreOpener } = await import("../log-store.js");
      const openStore = logStoreOpener(ctx.io.env, options);
      if (options.fix && !options.verify) {
        throw new UsageError("--fix goes with --verify", "`taskaccess revoke --verify --fix`");
      }
      if (options.verify) {
        if (id !== undefined || options.pending) {
          throw new UsageError("give --verify alone, without a session or --pending");
        }
        const { runRevokeVerify } = await import("./revoke-verify.js");
        const { createRolePolicyReader } = await import("../../aws/role-policy-reader.js");
        const path = await locateLog(ctx, cmd, options.log);
        const loaded = await loadSessions(path, { openStore });
        const clientOptions = await awsClientOptions(options, ctx.io.env, undefined, (message) =>
          ctx.io.stderr(warningLine(ctx, message)),
        );
        const sts = await stsForRoles(
          clientOptions.sts,
          ctx.io.env,
          loaded.sessions.map((session) => session.role),
        );
        // Asked once, and only when a role is read or a session revoked again.
        let caller: Promise<CallerIdentity> | undefined;
        const whoAmI = () => {
          caller ??= createStsIssuer(sts).callerIdentity();
          return caller;
        };
        const host = hostname();
        const revoker = createIamRevoker({
          ...clientOptions.iam,
          sts,
          callerAccount: async () => (await whoAmI()).account,
          revokerRoleFor: revokerRolesOf(loaded.sessions),
          externalIdFor: externalIdsOf(loaded.sessions),
          clock: { now: Date.now },
          serialize: createRoleLock({
            directory: lockDirectoryFor(path, ctx.io.env),
            host,
            clock: { now: Date.now },
          }),
        });
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
              revokedBy: (await whoAmI()).arn,
            }),
        });
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
      const path = await locateLog(ctx, cmd, options.log);
      await sendSpooled(path, { env: ctx.io.env, aws: options, warn });
      // An S3 log is laid out by day: --pending reads only the last two days' folders (no STS
      // session lasts more than 12 hours, so an older one has expired anyway).
      const { sessions } = await loadSessions(path, {
        openStore,
        ...(options.pending ? { since: new Date(Date.now() - PENDING_DAYS * 86_400_000) } : {}),
      });
      const now = Date.now();
      const host = hostname();
      const targets = options.pending
        ? findPendingSessions(sessions, { now, host, isAlive: isProcessAlive })
        : [findSession(sessions, id ?? "")];
      if (targets.length === 0) {
        if (options.json) ctx.io.stdout(stringifyJson({ log: path, revoked: [], failed: [] }));
        else
          ctx.io.stdout(
            `nothing to revoke: every unexpired session in ${path} is revoked or still running\n`,
          );
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
      const clientOptions = await awsClientOptions(options, ctx.io.env, undefined, (message) =>
        ctx.io.stderr(warningLine(ctx, message)),
      );
      const sts = await stsForRoles(
        clientOptions.sts,
        ctx.io.env,
        targets.map((target) => target.role),
      );
      const caller = await createStsIssuer(sts).callerIdentity();
      const reports = await revokeSessions(targets, {
        revoker: createIamRevoker({
          ...clientOptions.iam,
          sts,
          callerAccount: async () => caller.account,
          revokerRoleFor: revokerRolesOf(sessions),
          externalIdFor: externalIdsOf(sessions),
          clock: { now: Date.now },
          serialize: createRoleLock({
            directory: lockDirectoryFor(audit.path, ctx.io.env),
            host,
            clock: { now: Date.now },
          }),
        }),
        audit,
        clock: { now: Date.now },
        host,
        revokedBy: caller.arn,
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
    });
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
