import { Command } from "commander";
import { runDemo } from "../../demo/run-demo.js";
import { ExitCode, TaskAccessError } from "../../errors.js";
import type { CliContext } from "../context.js";
import { describeEvent } from "../describe-event.js";

// `taskaccess demo`: the whole job on the embedded sandbox, no AWS account and no network.
export function demoCommand(ctx: CliContext): Command {
  return new Command("demo")
    .description("run the example task end to end on the embedded sandbox (no AWS account needed)")
    .action(async () => {
      const c = ctx.out;
      const result = await runDemo({
        say: (text) => ctx.io.stdout(`${c.bold("demo")}: ${text}\n`),
        // The run's own stderr (its summary line) belongs to the story: keep it in order on stdout.
        relay: (text) => ctx.io.stdout(`${text}\n`),
        env: {
          ...ctx.io.env,
          ...(ctx.io.stdoutIsTTY && ctx.io.env.NO_COLOR === undefined ? { FORCE_COLOR: "1" } : {}),
        },
      });
      ctx.io.stdout(
        `${c.bold("demo")}: the session log (in a temporary directory, removed now), as \`taskaccess log show\` prints it:\n`,
      );
      for (const record of result.records) {
        ctx.io.stdout(
          `  ${String(record.seq).padStart(2)} ${c.cyan(record.event.padEnd(18))} ${describeEvent(record)}\n`,
        );
      }
      ctx.io.stdout(
        `${c.bold("demo")}: chain ${result.chainOk ? c.green("intact") : c.red("BROKEN")}, head ${result.chainHead} (\`taskaccess log verify\`)\n`,
      );
      const ok = result.runExitCode === 0 && result.deniedAfter && result.chainOk;
      if (!ok) {
        throw new TaskAccessError(
          `the demo did not behave as designed (run exit ${result.runExitCode}, denied after: ${result.deniedAfter}, chain: ${result.chainOk ? "intact" : "broken"})`,
          {
            exitCode: ExitCode.internal,
            hint: "this is a bug in taskaccess; please report it with the output above",
          },
        );
      }
      ctx.io.stdout(
        `${c.green("✓")} the child got exactly the task's access, and lost it the moment the task ended; the log proves it.\n`,
      );
    });
}
