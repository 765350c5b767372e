import { Command } from "commander";
import { ExitCode, TaskAccessError } from "../../errors.js";
import type { CliContext } from "../context.js";
import { describeEvent } from "../describe-event.js";
import { stringifyJson } from "../json-output.js";

// `taskaccess demo`: the whole job on the embedded sandbox, no AWS account and no network.
export function demoCommand(ctx: CliContext): Command {
  return new Command("demo")
    .description("run the example task end to end on the embedded sandbox (no AWS account needed)")
    .option("--json", "tell the story on stderr, then print one JSON object: the result and the log")
    .action(async (options: { json?: boolean }) => {
      const { runDemo } = await import("../../demo/run-demo.js");
      const c = options.json ? ctx.err : ctx.out;
      // With --json stdout holds only the result; the story goes to stderr.
      const write = options.json ? ctx.io.stderr : ctx.io.stdout;
      const result = await runDemo({
        say: (text) => write(`${c.bold("demo")}: ${text}\n`),
        // The run's own stderr (its summary line) belongs to the story: keep it in order with it.
        relay: (text) => write(`${text}\n`),
        env: {
          ...ctx.io.env,
          ...((options.json ? ctx.io.stderrIsTTY : ctx.io.stdoutIsTTY) && ctx.io.env.NO_COLOR === undefined
            ? { FORCE_COLOR: "1" }
            : {}),
        },
      });
      const ok =
        result.runExitCode === 0 && result.deniedAfter && result.chainOk && result.confirmedAfterMs !== null;
      if (options.json) {
        const { runExitCode, deniedAfter, chainOk, chainHead, records, confirmedAfterMs } = result;
        ctx.io.stdout(
          stringifyJson({ ok, runExitCode, deniedAfter, chainOk, chainHead, confirmedAfterMs, records }),
        );
        if (!ok) ctx.exitCode = ExitCode.internal;
        return;
      }
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
      if (!ok) {
        throw new TaskAccessError(
          `the demo did not behave as designed (run exit ${result.runExitCode}, denied after: ${result.deniedAfter}, refusal seen: ${result.confirmedAfterMs !== null}, chain: ${result.chainOk ? "intact" : "broken"})`,
          {
            exitCode: ExitCode.internal,
            hint: "this is a bug in taskaccess; please report it with the output above",
          },
        );
      }
      ctx.io.stdout(
        `${c.green("✓")} the child got exactly the task's access, and lost it when the task ended: AWS refused the credentials ${((result.confirmedAfterMs ?? 0) / 1000).toFixed(1)} s after the deny was written (propagation); the log proves it.\n`,
      );
    });
}
