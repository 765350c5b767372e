import { open } from "node:fs/promises";
import { chainEvent, GENESIS_PREV, sha256Hex } from "./chain.js";
import type { SessionEvent } from "./events.js";
import { verifySessionLog } from "./verify-log.js";

export interface SyntheticLogOptions {
  host: string;
  /** Time of the first event, in ms since the epoch. */
  startMs: number;
}

const BATCH_LINES = 2000;

// The benchmark needs a large, realistic, valid log fast: the same line format as SessionLog
// (chainEvent), six events a session, written in batches without the lock or an fsync per line.
export async function writeSyntheticLog(
  path: string,
  lineCount: number,
  options: SyntheticLogOptions,
): Promise<void> {
  const handle = await open(path, "wx", 0o600);
  try {
    let prev = GENESIS_PREV;
    let batch: string[] = [];
    for (let seq = 1; seq <= lineCount; seq++) {
      const { text } = chainEvent(syntheticEvent(seq, options), seq, prev);
      prev = sha256Hex(text);
      batch.push(text);
      if (batch.length === BATCH_LINES || seq === lineCount) {
        await handle.write(`${batch.join("\n")}\n`);
        batch = [];
      }
    }
  } finally {
    await handle.close();
  }
}

export interface VerifyThroughput {
  ok: boolean;
  lines: number;
  ms: number;
  linesPerSecond: number;
}

// What the benchmark reports: how fast verifySessionLog checks an existing log.
export async function measureVerifyThroughput(
  path: string,
  now: () => number = () => performance.now(),
): Promise<VerifyThroughput> {
  const started = now();
  const result = await verifySessionLog(path);
  const ms = now() - started;
  return { ok: result.ok, lines: result.lines, ms, linesPerSecond: ms > 0 ? (result.lines / ms) * 1000 : 0 };
}

function syntheticEvent(seq: number, options: SyntheticLogOptions): SessionEvent {
  const index = Math.floor((seq - 1) / 6);
  const session = `s${index.toString(32).padStart(11, "0")}`;
  const common = {
    time: new Date(options.startMs + seq * 1000).toISOString(),
    session,
    task: "deploy",
    caller: "arn:aws:iam::123456789012:user/ci",
    host: options.host,
    ci: {
      provider: "github-actions",
      runUrl: `https://github.com/example/app/actions/runs/${1000 + index}`,
      repository: "example/app",
      ref: "refs/heads/main",
      actor: "octocat",
    },
  };
  const role = "arn:aws:iam::123456789012:role/deployer";
  const sessionName = `ta-deploy-${session}`;
  const policy = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:GetObject"],
        Resource: [`arn:aws:s3:::releases/app/1.${index % 100}.0/*`],
      },
    ],
  });
  const policySha256 = sha256Hex(policy);
  switch ((seq - 1) % 6) {
    case 0:
      return {
        event: "session.start",
        ...common,
        role,
        sessionName,
        params: { version: `1.${index % 100}.0` },
        reason: "release",
        durationSeconds: 900,
        timeoutSeconds: 3600,
        sourceIdentity: "octocat",
        policySha256,
        argv: ["./deploy.sh", `1.${index % 100}.0`],
      };
    case 1:
      return {
        event: "credentials.issued",
        ...common,
        role,
        sessionName,
        assumedRoleId: `AROAEXAMPLEROLEID:${sessionName}`,
        assumedRoleArn: `arn:aws:sts::123456789012:assumed-role/deployer/${sessionName}`,
        accessKeyId: `ASIA${index.toString(16).toUpperCase().padStart(16, "0")}`,
        expiration: new Date(options.startMs + seq * 1000 + 900_000).toISOString(),
        sourceIdentity: "octocat",
        tags: { "taskaccess:task": "deploy", "taskaccess:session": session },
        policy,
        policySha256,
        policyArns: [],
        packedPolicySize: 12,
      };
    case 2:
      return {
        event: "process.start",
        ...common,
        argv: ["./deploy.sh"],
        cwd: "/home/runner/work/app",
        pid: 4242,
      };
    case 3:
      return { event: "process.exit", ...common, code: 0, signal: null, durationMs: 12_345, timedOut: false };
    case 4:
      return {
        event: "session.revoked",
        ...common,
        role,
        policyName: `taskaccess-revoke-1700000000-${sessionName}`,
        method: "inline-deny",
        attempts: 1,
        note: null,
      };
    default:
      return { event: "session.end", ...common, exitCode: 0, durationMs: 13_000, revoked: true };
  }
}
