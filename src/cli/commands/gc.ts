import { Command } from "commander";
import { TaskAccessError, UsageError } from "../../errors.js";
import { type AwsFlags, addAwsOptions, awsClientOptions, stsForRoles } from "../aws-options.js";
import { collect } from "../collect.js";
import type { CliContext } from "../context.js";
import { stringifyJson } from "../json-output.js";
import { locateLog } from "../log-location.js";
import { externalIdsOf, revokerRolesOf } from "../revoker-roles.js";
import { warningLine } from "../warning.js";

interface GcOptions extends AwsFlags {
  role?: string[];
  log?: string;
  json?: boolean;
}

// `taskaccess gc`: deletes revoke policies whose sessions have expired anyway, so roles keep room.
export function gcCommand(ctx: CliContext): Command {
  return addAwsOptions(new Command("gc"))
    .description(
      "delete revoke policies whose credentials have expired (roles from --role, else from the log)",
    )
    .option("--role <arn>", "a role to clean up (repeatable)", collect)
    .option("--log <path>", "session log file to take the roles from (default: as for run)")
    .option("--json", "print one JSON object")
    .action(async (options: GcOptions, cmd: Command) => {
      const { createIamRevoker } = await import("../../aws/iam-revoker.js");
      const { loadSessions } = await import("../../session/load-sessions.js");
      let roles = options.role ?? [];
      // The log also says which revoker role each task named: read it even with --role, and go
      // without it only when --role was given and there is no log (a role in another account is
      // then tidied by a session of itself).
      const openStore = (await import("../log-store.js")).logStoreOpener(ctx.io.env, options);
      const { sessions } = await locateLog(ctx, cmd, options.log)
        .then((path) => loadSessions(path, { openStore }))
        .catch((error: unknown) => {
          if (roles.length === 0 || options.log !== undefined) throw error;
          return { sessions: [] };
        });
      if (roles.length === 0) {
        roles = [...new Set(sessions.flatMap((session) => (session.role ? [session.role] : [])))];
        if (roles.length === 0) throw new UsageError("the session log names no role", "give --role ARN");
      }
      const clientOptions = await awsClientOptions(options, ctx.io.env, undefined, (message) =>
        ctx.io.stderr(warningLine(ctx, message)),
      );
      const sts = await stsForRoles(clientOptions.sts, ctx.io.env, roles);
      const revoker = createIamRevoker({
        ...clientOptions.iam,
        sts,
        revokerRoleFor: revokerRolesOf(sessions),
        externalIdFor: externalIdsOf(sessions),
        clock: { now: Date.now },
      });
      // One role that cannot be cleaned up (no permission there) does not stop the others.
      const deleted: Record<string, string[]> = {};
      const failed: Record<string, string> = {};
      for (const role of roles) {
        try {
          deleted[role] = await revoker.deleteExpired(role);
        } catch (error) {
          if (!(error instanceof TaskAccessError)) throw error;
          failed[role] = error.hint ? `${error.message} (${error.hint})` : error.message;
          if (ctx.exitCode === 0) ctx.exitCode = error.exitCode;
        }
      }
      if (options.json) {
        ctx.io.stdout(stringifyJson({ roles: deleted, failed }));
        return;
      }
      for (const [role, names] of Object.entries(deleted)) {
        ctx.io.stdout(`${role}: ${names.length === 0 ? "nothing expired" : `deleted ${names.join(", ")}`}\n`);
      }
      for (const [role, message] of Object.entries(failed)) {
        ctx.io.stderr(`${ctx.err.red("error")}: ${role}: ${message}\n`);
      }
    });
}
