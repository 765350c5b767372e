import { Command } from "commander";
import { UsageError } from "../../errors.js";
import { type AwsFlags, addAwsOptions, awsClientOptions } from "../aws-options.js";
import { collect } from "../collect.js";
import type { CliContext } from "../context.js";
import { stringifyJson } from "../json-output.js";
import { locateLog } from "../log-location.js";

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
      if (roles.length === 0) {
        const { sessions } = await loadSessions(await locateLog(ctx, cmd, options.log));
        roles = [...new Set(sessions.flatMap((session) => (session.role ? [session.role] : [])))];
        if (roles.length === 0) throw new UsageError("the session log names no role", "give --role ARN");
      }
      const revoker = createIamRevoker({
        ...awsClientOptions(options, ctx.io.env),
        clock: { now: Date.now },
      });
      const deleted: Record<string, string[]> = {};
      for (const role of roles) deleted[role] = await revoker.deleteExpired(role);
      if (options.json) {
        ctx.io.stdout(stringifyJson({ roles: deleted }));
        return;
      }
      for (const [role, names] of Object.entries(deleted)) {
        ctx.io.stdout(`${role}: ${names.length === 0 ? "nothing expired" : `deleted ${names.join(", ")}`}\n`);
      }
    });
}
