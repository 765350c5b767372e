import { Command } from "commander";
import { ExitCode } from "../../errors.js";
import type { CliContext } from "../context.js";
import { stringifyJson } from "../json-output.js";

interface DoctorOptions {
  json?: boolean;
}

// `taskaccess doctor`: whether this machine can isolate the command `run` wraps, and if not, why
// and what to do; exit 1 when it cannot (so a CI step can insist on isolation before it runs).
export function doctorCommand(ctx: CliContext): Command {
  return new Command("doctor")
    .description("check whether this machine can isolate the command run wraps, and why not")
    .option("--json", "print one JSON object")
    .action(async (options: DoctorOptions) => {
      const { probeIsolation } = await import("../../session/isolation-probe.js");
      const { UNISOLATED_REACH } = await import("../../session/isolation.js");
      const report = probeIsolation();
      ctx.exitCode = report.available ? ExitCode.ok : ExitCode.findings;
      if (options.json) {
        ctx.io.stdout(
          stringifyJson({
            isolation: {
              available: report.available,
              platform: report.platform,
              bwrap: report.bwrap ?? null,
              sysctls: report.sysctls,
              reason: report.reason ?? null,
              hint: report.hint ?? null,
            },
          }),
        );
        return;
      }
      const c = ctx.out;
      const lines = [
        `platform: ${report.platform}`,
        `bubblewrap: ${report.bwrap ?? "not found"}`,
        ...Object.entries(report.sysctls).map(([name, value]) => `${name} = ${value}`),
        report.available
          ? `isolation: ${c.green("available")} (user, PID and mount namespaces; run isolates the command by default)`
          : `isolation: ${c.red("unavailable")}: ${report.reason ?? "unknown reason"}`,
      ];
      if (!report.available) {
        lines.push(`  without it, ${UNISOLATED_REACH}`);
        if (report.hint) lines.push(`  hint: ${report.hint}`);
      }
      ctx.io.stdout(`${lines.join("\n")}\n`);
    });
}
