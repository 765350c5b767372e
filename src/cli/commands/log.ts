import { hostname } from "node:os";
import { Command } from "commander";
import type { VerifyResult } from "../../audit/verify-log.js";
import { ExitCode, UsageError } from "../../errors.js";
import type { SessionSummary } from "../../session/session-summary.js";
import { parseDuration } from "../../task/duration.js";
import type { CliContext } from "../context.js";
import { describeEvent } from "../describe-event.js";
import { formatTable } from "../format-table.js";
import { stringifyJson } from "../json-output.js";
import { locateLog } from "../log-location.js";

interface LogOptions {
  log?: string | undefined;
  task?: string | undefined;
  since?: string | undefined;
  json?: boolean | undefined;
  head?: string | undefined;
}

// `taskaccess log`: what a security reviewer reads: sessions, one session, the chain.
export function logCommand(ctx: CliContext): Command {
  const command = new Command("log")
    .description("list the sessions in the session log (see also: log show, log verify)")
    .option("--log <path>", "session log file (default: as for run)")
    .option("--task <name>", "only sessions of this task")
    .option(
      "--since <when>",
      "only sessions started since a time (ISO 8601) or a duration ago (90m, 24h, 7d)",
    )
    .option("--json", "print one JSON object")
    .action(async (options: LogOptions, cmd: Command) => {
      const { loadSessions } = await import("../../session/load-sessions.js");
      const path = await locateLog(ctx, cmd, options.log);
      const since = options.since === undefined ? undefined : parseSince(options.since, Date.now());
      const { logStoreOpener } = await import("../log-store.js");
      // An S3 log is laid out by day: --since lists only the days it needs.
      const { sessions, malformed } = await loadSessions(path, {
        openStore: logStoreOpener(ctx.io.env),
        since: since === undefined ? undefined : new Date(since),
      });
      const now = Date.now();
      const host = hostname();
      const shown = sessions.filter(
        (session) =>
          (options.task === undefined || session.task === options.task) &&
          (since === undefined || Date.parse(session.startedAt) >= since),
      );
      const { isProcessAlive } = await import("../../audit/file-lock.js");
      const context = { now, host, isAlive: isProcessAlive };
      const rows = shown.map((session) => ({ session, status: statusOf(session, context) }));
      if (options.json) {
        ctx.io.stdout(
          stringifyJson({
            log: path,
            sessions: rows.map(({ session, status }) => ({ ...session, status })),
            malformedLines: malformed,
          }),
        );
        return;
      }
      const c = ctx.out;
      const table = rows.map(({ session, status }) => [
        session.startedAt.replace("T", " ").replace(/\.\d+Z$/, "Z"),
        session.task,
        session.sessionName ?? session.session,
        session.sourceIdentity ?? session.caller ?? "?",
        session.durationMs === null ? "-" : `${(session.durationMs / 1000).toFixed(1)}s`,
        session.exitCode === null ? "-" : String(session.exitCode),
        paint(c, status),
      ]);
      if (table.length === 0) ctx.io.stdout(`no sessions in ${path}${filtersNote(options)}\n`);
      else
        ctx.io.stdout(
          formatTable(c, ["STARTED", "TASK", "SESSION", "WHO", "DURATION", "EXIT", "REVOKED"], table),
        );
      if (malformed.length > 0) {
        ctx.io.stderr(
          `${ctx.err.yellow("warning")}: ${malformed.length} line(s) of ${path} are not records; run \`taskaccess log verify\`\n`,
        );
      }
    });
  command.addCommand(showCommand(ctx));
  command.addCommand(verifyCommand(ctx));
  return command;
}

function showCommand(ctx: CliContext): Command {
  return new Command("show")
    .description("print one session's events and its session policy")
    .argument("<session>", "session id or session name (ta-…)")
    .option("--log <path>", "session log file (default: as for run)")
    .option("--json", "print one JSON object")
    .action(async (id: string, options: LogOptions, cmd: Command) => {
      const { loadSessions } = await import("../../session/load-sessions.js");
      const path = await locateLog(ctx, cmd, options.log ?? cmd.parent?.opts<LogOptions>().log);
      const { logStoreOpener } = await import("../log-store.js");
      const { sessions, records } = await loadSessions(path, { openStore: logStoreOpener(ctx.io.env) });
      const { findSession } = await import("../../session/revoke-sessions.js");
      const { isProcessAlive } = await import("../../audit/file-lock.js");
      const session = findSession(sessions, id);
      const events = records.filter((record) => record.session === session.session);
      // `log show X --json`: commander gives flags the parent also defines to the parent.
      options.json ??= cmd.parent?.opts<LogOptions>().json;
      const status = statusOf(session, { now: Date.now(), host: hostname(), isAlive: isProcessAlive });
      if (options.json) {
        ctx.io.stdout(stringifyJson({ log: path, session: { ...session, status }, events }));
        return;
      }
      const c = ctx.out;
      ctx.io.stdout(
        `${c.bold(`session ${session.session}`)} (${session.sessionName ?? "?"}), task ${session.task}, revoked: ${paint(c, status)}\n`,
      );
      for (const record of events) {
        const seq = c.dim(`${record.seq}`.padStart(5));
        ctx.io.stdout(
          `${seq}  ${record.time}  ${c.cyan(record.event.padEnd(18))} ${describeEvent(record)}\n`,
        );
      }
      const issued = events.find((record) => record.event === "credentials.issued");
      if (issued?.event === "credentials.issued") {
        ctx.io.stdout(`\n${c.bold("session policy")} (sha256 ${issued.policySha256})\n`);
        ctx.io.stdout(`${prettyPolicy(issued.policy)}\n`);
      }
    });
}

function verifyCommand(ctx: CliContext): Command {
  return new Command("verify")
    .description("check the hash chain: name every changed, removed or reordered line (exit 1 if any)")
    .option("--log <path>", "session log file (default: as for run)")
    .option(
      "--head <hash>",
      "also check that the log still holds the line with this hash (a head `run` printed)",
    )
    .option("--json", "print one JSON object")
    .action(async (options: LogOptions, cmd: Command) => {
      const { assertLogFile } = await import("../../session/load-sessions.js");
      const { isS3Location } = await import("../../audit/s3-location.js");
      const { verifySessionLog } = await import("../../audit/verify-log.js");
      const path = await locateLog(ctx, cmd, options.log ?? cmd.parent?.opts<LogOptions>().log);
      // The same "no session log at …" error as the other log commands, without reading it twice.
      await assertLogFile(path);
      options.json ??= cmd.parent?.opts<LogOptions>().json;
      if (isS3Location(path)) {
        if (options.head !== undefined) {
          throw new UsageError(
            "--head anchors a local log; an S3 log's records cannot be rewritten by the command it records",
            "drop --head: `log verify` checks every session's chain and every record's versions",
          );
        }
        return verifyS3(ctx, path, options.json === true);
      }
      const result = await verifySessionLog(path);
      if (options.head !== undefined) await checkHead(result, path, options.head);
      if (!result.ok) ctx.exitCode = ExitCode.findings;
      if (options.json) {
        ctx.io.stdout(stringifyJson({ log: path, ...result }));
        return;
      }
      if (result.ok) {
        ctx.io.stdout(
          `${ctx.out.green("✓")} ${path}: ${result.lines} lines, chain intact; head ${result.head}\n`,
        );
        return;
      }
      for (const problem of result.problems) {
        ctx.io.stderr(`${path}:${problem.line}: ${ctx.err.red(problem.kind)}: ${problem.message}\n`);
      }
      ctx.io.stderr(
        `${ctx.err.red(`${result.problems.length} problem(s)`)} in ${result.lines} lines; the log has been changed or damaged since it was written\n`,
      );
    });
}

/** What the REVOKED column says about a session. */
export type SessionStatus =
  | "yes"
  | "FAILED"
  | "PENDING"
  | "ABANDONED"
  | "running"
  | "open elsewhere"
  | "expired"
  | "no"
  | "none issued";

// One word for a reviewer: is access from this session over?
export function statusOf(
  session: SessionSummary,
  context: { now: number; host: string; isAlive: (pid: number) => boolean },
): SessionStatus {
  if (session.revoked) return "yes";
  if (!session.credentialsIssued && session.ended) return "none issued";
  const expired = session.expiresAt !== null && Date.parse(session.expiresAt) <= context.now;
  if (expired) return "expired";
  if (session.revocationFailed) return "FAILED";
  if (!session.ended) {
    // S3 logs: the run renews a lease while its command runs; a lapsed lease is an abandoned run.
    if (session.leaseUntil) return Date.parse(session.leaseUntil) < context.now ? "ABANDONED" : "running";
    // Another machine's run cannot be checked from here; `revoke SESSION` can still end it.
    if (session.host !== context.host) return "open elsewhere";
    return session.pid !== null && context.isAlive(session.pid) ? "running" : "PENDING";
  }
  return "no";
}

function paint(c: CliContext["out"], status: SessionStatus): string {
  if (status === "yes") return c.green(status);
  if (status === "FAILED" || status === "PENDING" || status === "ABANDONED" || status === "no")
    return c.red.bold(status);
  return status;
}

// --since 2026-11-01, --since 2026-11-01T10:00:00Z, --since 90m, --since 7d.
export function parseSince(value: string, now: number): number {
  const days = /^(\d+)d$/.exec(value.trim());
  if (days) return now - Number(days[1]) * 86_400_000;
  const seconds = /^\d/.test(value) && !/^\d{4}-/.test(value) ? parseDuration(value) : undefined;
  if (seconds !== undefined) return now - seconds * 1000;
  const time = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(time)) return time;
  throw new UsageError(
    `--since ${JSON.stringify(value)} is neither a time nor a duration`,
    "write an ISO 8601 time (2026-11-28 or 2026-11-28T10:00:00Z) or a duration (90m, 24h, 7d)",
  );
}

function filtersNote(options: LogOptions): string {
  const parts = [
    ...(options.task ? [`task ${options.task}`] : []),
    ...(options.since ? [`since ${options.since}`] : []),
  ];
  return parts.length > 0 ? ` matching ${parts.join(", ")}` : "";
}

function prettyPolicy(policy: string): string {
  try {
    return JSON.stringify(JSON.parse(policy), null, 2);
  } catch {
    return policy;
  }
}

// `log verify` of an S3 log: every session's chain, and every key's versions.
async function verifyS3(ctx: CliContext, path: string, json: boolean): Promise<void> {
  const { parseS3Location } = await import("../../audit/s3-location.js");
  const { verifyS3Log } = await import("../../audit/s3-verify-log.js");
  const { logStoreOpener } = await import("../log-store.js");
  const location = parseS3Location(path);
  const store = logStoreOpener(ctx.io.env)(location.bucket);
  const result = await verifyS3Log(store, location, { now: Date.now });
  // Nothing to verify is not a log that verifies: a wrong prefix, or records deleted from an
  // unversioned bucket (a versioned one keeps them, and they are reported as deleted).
  if (result.records === 0 && result.problems.length === 0) {
    const { noS3Log } = await import("../../session/load-sessions.js");
    throw noS3Log(path);
  }
  if (!result.ok) ctx.exitCode = ExitCode.findings;
  if (json) {
    ctx.io.stdout(stringifyJson({ log: path, ...result }));
    return;
  }
  if (result.ok) {
    ctx.io.stdout(
      `${ctx.out.green("✓")} ${path}: ${result.sessions} sessions, ${result.records} records, every chain intact, no record overwritten or deleted\n`,
    );
    return;
  }
  for (const problem of result.problems) {
    ctx.io.stderr(
      `s3://${location.bucket}/${problem.key}: ${ctx.err.red(problem.kind)}: ${problem.message}\n`,
    );
  }
  ctx.io.stderr(
    `${ctx.err.red(`${result.problems.length} problem(s)`)} in ${result.records} records of ${result.sessions} sessions; the log has been changed or damaged since it was written\n`,
  );
}

// --head: the anchored line must still be in the log. A chain rewritten from an earlier line on
// verifies, but no longer holds the line the head was taken from.
async function checkHead(result: VerifyResult, path: string, head: string): Promise<void> {
  const hash = head.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hash))
    throw new UsageError(
      `--head ${JSON.stringify(head)} is not a SHA-256 in hex`,
      "give the 64 hex digits `run` printed as the log's head",
    );
  const { findLineWithHash } = await import("../../audit/find-head.js");
  if ((await findLineWithHash(path, hash)) !== undefined) return;
  result.ok = false;
  result.problems.push({
    line: result.lines,
    kind: "changed",
    message: `no line of the log has the head ${hash}: the log was rewritten or cut since that head was taken`,
  });
}
