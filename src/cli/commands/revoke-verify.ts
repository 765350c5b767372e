// `taskaccess revoke --verify [--fix]`: reconciles the log with IAM. Every unexpired session the log
// calls revoked must still be denied by the role's inline policies; one whose deny is gone
// (someone deleted the policy) is reported, and with --fix revoked again.

import { ExitCode } from "../../errors.js";
import { type LoadedSessions, loadSessions } from "../../session/load-sessions.js";
import type { RevokeReport } from "../../session/revoke-sessions.js";
import type { SessionSummary } from "../../session/session-summary.js";
import {
  fixTargets,
  type RevocationCheck,
  type RolePolicyReader,
  verifyRevocations,
} from "../../session/verify-revocations.js";
import type { CliContext } from "../context.js";
import { formatTable } from "../format-table.js";
import { stringifyJson } from "../json-output.js";

/** What revoke.ts hands over: the log, the flags, and the AWS side as a reader and a closure. */
export interface RevokeVerifyInput {
  logPath: string;
  /** The log already read (revoke.ts needs its sessions for the revoker); read from logPath if not. */
  loaded?: LoadedSessions | undefined;
  fix: boolean;
  json: boolean;
  reader: RolePolicyReader;
  /** revokeSessions with the command's revoker, log and identity; called only when a deny is missing. */
  revokeAgain: (targets: SessionSummary[]) => Promise<RevokeReport[]>;
  /** The time the check is made at; Date.now() when not given. */
  now?: number | undefined;
}

/** What --fix did about one STS session whose deny was missing. */
export interface FixOutcome {
  revoked: boolean;
  policyName?: string | undefined;
  error?: string | undefined;
}

/** One check, and the fix when --fix tried one. */
export interface VerifyOutcome {
  check: RevocationCheck;
  fix?: FixOutcome | undefined;
}

// The whole command after option parsing, so that revoke.ts only wires the AWS adapters in.
export async function runRevokeVerify(ctx: CliContext, input: RevokeVerifyInput): Promise<void> {
  const { sessions, records, malformed } = input.loaded ?? (await loadSessions(input.logPath));
  const checks = await verifyRevocations(
    { sessions, records },
    { now: input.now ?? Date.now(), reader: input.reader },
  );
  const outcomes = input.fix
    ? await fixMissing(sessions, checks, input.revokeAgain)
    : checks.map((check) => ({ check }));
  const exitCode = verifyExitCode(outcomes);
  if (exitCode !== ExitCode.ok) ctx.exitCode = exitCode;
  if (input.json) {
    ctx.io.stdout(
      stringifyJson({ log: input.logPath, sessions: outcomes.map(outcomeJson), malformedLines: malformed }),
    );
    return;
  }
  printHuman(ctx, input, outcomes);
  if (malformed.length > 0) {
    ctx.io.stderr(
      `${ctx.err.yellow("warning")}: ${malformed.length} line(s) of ${input.logPath} are not records; run \`taskaccess log verify\`\n`,
    );
  }
}

// 69 when the answer is incomplete (a role unreadable) or a fix failed, else 1 while a deny is
// missing and unfixed, else 0: every session the log calls revoked is denied, or now is again.
export function verifyExitCode(outcomes: readonly VerifyOutcome[]): number {
  if (outcomes.some(({ check, fix }) => check.status === "unknown" || fix?.revoked === false)) {
    return ExitCode.unavailable;
  }
  if (outcomes.some(({ check, fix }) => check.status === "deny-missing" && fix === undefined)) {
    return ExitCode.findings;
  }
  return ExitCode.ok;
}

// Revokes again every STS session whose deny is missing (revokeSessions logs each outcome with
// revokedBy) and pairs each check with its run's report.
async function fixMissing(
  sessions: readonly SessionSummary[],
  checks: readonly RevocationCheck[],
  revokeAgain: RevokeVerifyInput["revokeAgain"],
): Promise<VerifyOutcome[]> {
  const targets = fixTargets(sessions, checks);
  const reports = targets.length === 0 ? [] : await revokeAgain(targets);
  const bySession = new Map(reports.map((report) => [report.session.session, report]));
  return checks.map((check) => {
    if (check.status !== "deny-missing") return { check };
    const report = bySession.get(check.session);
    if (!report) return { check, fix: { revoked: false, error: "was not revoked again" } };
    return {
      check,
      fix: report.revoked
        ? { revoked: true, policyName: report.policyName }
        : { revoked: false, error: report.error },
    };
  });
}

function printHuman(ctx: CliContext, input: RevokeVerifyInput, outcomes: readonly VerifyOutcome[]): void {
  if (outcomes.length === 0) {
    ctx.io.stdout(`nothing to verify: no unexpired session in ${input.logPath} is recorded as revoked\n`);
    return;
  }
  const rows = outcomes.map((outcome) => [
    outcome.check.sessionName,
    outcome.check.task,
    outcome.check.role.slice(outcome.check.role.lastIndexOf("/") + 1),
    outcome.check.expiresAt ?? "?",
    statusLabel(ctx, outcome),
  ]);
  ctx.io.stdout(formatTable(ctx.out, ["STS SESSION", "TASK", "ROLE", "EXPIRES", "STATUS"], rows));
  for (const { check, fix } of outcomes) {
    const problem = check.status === "unknown" ? check.error : fix?.revoked === false ? fix.error : undefined;
    if (problem !== undefined)
      ctx.io.stderr(`${ctx.err.red(check.sessionName)} (${check.role}): ${problem}\n`);
  }
  const unfixed = outcomes.filter(({ check, fix }) => check.status === "deny-missing" && !fix).length;
  if (unfixed > 0) {
    ctx.io.stderr(
      `${ctx.err.red.bold(`${unfixed} session(s)`)} the log calls revoked are no longer denied by IAM; \`taskaccess revoke --verify --fix\` revokes them again\n`,
    );
  }
}

function statusLabel(ctx: CliContext, { check, fix }: VerifyOutcome): string {
  const c = ctx.out;
  if (fix)
    return fix.revoked ? c.green("deny missing, revoked again") : c.red.bold("deny missing, FIX FAILED");
  if (check.status === "denied") return c.green("denied");
  if (check.status === "deny-missing") return c.red.bold("DENY MISSING");
  return c.yellow("unknown");
}

function outcomeJson({ check, fix }: VerifyOutcome): Record<string, unknown> {
  return {
    session: check.session,
    sessionName: check.sessionName,
    task: check.task,
    role: check.role,
    expiresAt: check.expiresAt,
    status: check.status,
    ...(check.deniedBy ? { deniedBy: check.deniedBy } : {}),
    ...(check.error ? { error: check.error } : {}),
    ...(fix ? { fix } : {}),
  };
}
