import { Command } from "commander";
import { UsageError } from "../../errors.js";
import { ADMIN_TOKEN_HEADER, DEFAULT_SANDBOX_PORT, MAX_PROPAGATION_MS } from "../../sandbox/defaults.js";
import type { JournalEntry } from "../../sandbox/journal.js";
import type { RunningSandbox } from "../../sandbox/start-sandbox.js";
import type { CliContext } from "../context.js";

interface SandboxOptions {
  port: string;
  host: string;
  world?: string;
  propagationDelay?: string;
  verbose?: boolean;
  json?: boolean;
}

/** The region the printed setup names; the sandbox itself answers in any. */
const REGION = "eu-west-1";

// `taskaccess sandbox`: the local AWS-compatible endpoint, for trying task files without an account.
export function sandboxCommand(ctx: CliContext): Command {
  return new Command("sandbox")
    .description("run the local AWS-compatible sandbox (STS, IAM, S3) until Ctrl-C")
    .option("--port <port>", "port to listen on; 0 picks a free one", String(DEFAULT_SANDBOX_PORT))
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--world <file>", "world file: accounts, users, roles, policies, buckets (default: built-in)")
    .option(
      "--propagation-delay <duration>",
      "delay before policy changes take effect for authorization, such as 1500ms, 5s or 1m (a bare number is ms)",
    )
    .option("-v, --verbose", "print every call with its decision")
    .option("--json", "print one line of JSON once listening: endpoint, keys, admin token")
    .action(async (options: SandboxOptions) => {
      const { startSandbox } = await import("../../sandbox/start-sandbox.js");
      const { loadWorldFile } = await import("../../sandbox/world.js");
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        throw new UsageError(
          `--port ${options.port} is not a port number`,
          "use 0..65535; 0 picks a free port",
        );
      }
      const delayMs = await propagationDelayOption(options.propagationDelay);
      const world = options.world ? await loadWorldFile(options.world) : undefined;
      // The flag sets the delay; a world file's jitter stays.
      const propagation =
        delayMs === undefined ? undefined : { delayMs, jitterMs: world?.propagation?.jitterMs ?? 0 };
      const sandbox = await startSandbox({ world, port, host: options.host, propagation });
      const { io } = ctx;
      if (options.json) {
        // One line, so that a script can read it and leave the sandbox running.
        io.stdout(
          `${JSON.stringify({
            endpoint: sandbox.endpoint,
            port: sandbox.port,
            region: REGION,
            users: sandbox.users,
            adminTokenHeader: ADMIN_TOKEN_HEADER,
            adminToken: sandbox.adminToken,
          })}\n`,
        );
      } else printSetup(ctx, sandbox);
      const unsubscribe = options.verbose
        ? sandbox.journal.subscribe((entry) => io.stderr(formatEntry(entry)))
        : () => {};
      const signal = io.waitForInterrupt ? await io.waitForInterrupt() : "end";
      unsubscribe();
      await sandbox.close();
      io.stderr(`sandbox stopped (${signal})\n`);
    });
}

// --propagation-delay in milliseconds: "1500ms", a bare number of milliseconds, or a duration as
// task files write it ("5s", "1m30s"); at most ten minutes.
async function propagationDelayOption(text: string | undefined): Promise<number | undefined> {
  if (text === undefined) return undefined;
  const { parseDuration } = await import("../../task/duration.js");
  const trimmed = text.trim();
  const plain = /^(\d+)(?:ms)?$/.exec(trimmed);
  const seconds = plain || !/^\d.*[hms]$/.test(trimmed) ? undefined : parseDuration(trimmed);
  const ms = plain ? Number(plain[1]) : seconds === undefined ? undefined : seconds * 1000;
  if (ms === undefined || ms > MAX_PROPAGATION_MS) {
    throw new UsageError(
      `--propagation-delay ${text} is not a delay of at most 10 minutes`,
      "write it as 1500ms, 5s or 2m (a bare number is milliseconds), from 0 to 10m",
    );
  }
  return ms;
}

function printSetup(ctx: CliContext, sandbox: RunningSandbox): void {
  const { out, io } = ctx;
  const base = sandbox.users[0];
  io.stdout(`${out.green("taskaccess sandbox")} listening on ${out.bold(sandbox.endpoint)}\n`);
  if (base) {
    io.stdout(`\n# Base credentials of ${base.user} (sandbox-only keys):\n`);
    io.stdout(`export AWS_ACCESS_KEY_ID=${base.accessKeyId}\n`);
    io.stdout(`export AWS_SECRET_ACCESS_KEY=${base.secretAccessKey}\n`);
    io.stdout("unset AWS_SESSION_TOKEN AWS_PROFILE\n");
    io.stdout(`export AWS_REGION=${REGION} AWS_DEFAULT_REGION=${REGION}\n`);
    io.stdout(`export AWS_ENDPOINT_URL=${sandbox.endpoint}\n`);
  }
  const { delayMs, jitterMs } = sandbox.getPropagation();
  if (delayMs > 0 || jitterMs > 0) {
    const jitter = jitterMs > 0 ? ` + up to ${jitterMs} ms` : "";
    io.stdout(`\n# IAM policy changes take effect for authorization after ${delayMs} ms${jitter}.\n`);
  }
  io.stdout(
    `\n# Admin endpoint (faults, clock, journal, propagation): header ${ADMIN_TOKEN_HEADER}: ${sandbox.adminToken}\n`,
  );
  io.stdout("Press Ctrl-C to stop.\n");
}

function formatEntry(entry: JournalEntry): string {
  const who = entry.principal ?? entry.accessKeyId ?? "anonymous";
  const what = entry.action
    ? `${entry.action} ${entry.resource ?? ""}`
    : `${entry.service}:${entry.operation}`;
  return `${entry.time} ${entry.status} ${entry.decision.toUpperCase()} ${what} by ${who}${entry.reason ? ` — ${entry.reason}` : ""}\n`;
}
