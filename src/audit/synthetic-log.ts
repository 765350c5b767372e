import { open } from "node:fs/promises";
import { chainEvent, GENESIS_PREV, sha256Hex } from "./chain.js";
import type { SessionEvent } from "./events.js";
import type { ObjectStore } from "./object-store.js";
import type { S3Location } from "./s3-location.js";
import { S3SessionLog } from "./s3-session-log.js";
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

export interface SyntheticS3LogOptions extends SyntheticLogOptions {
  /** Sessions written at once (each session's records one after another); default 32. */
  concurrency?: number | undefined;
}

// The S3 counterpart of writeSyntheticLog, for `log verify` over an S3 log: every session written
// by S3SessionLog itself, as a run writes it (each record its own object, chained per session, put
// with If-None-Match, and the session's bundle at session.end). The events are writeSyntheticLog's
// six, with the revocation.ready a run writes before AssumeRole and the lease an S3 run announces
// in session.start. Returns the number of records written.
export async function writeSyntheticS3Log(
  store: ObjectStore,
  location: S3Location,
  sessions: number,
  options: SyntheticS3LogOptions,
): Promise<number> {
  let next = 0;
  let written = 0;
  const worker = async () => {
    while (next < sessions) {
      const index = next++;
      const log = new S3SessionLog({ store, location, clock: { now: () => options.startMs } });
      for (const event of syntheticS3Session(index, options)) {
        await log.append(event);
        written += 1;
      }
      await log.flush();
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 32, sessions));
  await Promise.all(Array.from({ length: concurrency }, worker));
  return written;
}

// One session's seven events, in the order a run on an S3 log writes them for a command that
// ends within its first lease (no session.lease).
function syntheticS3Session(index: number, options: SyntheticLogOptions): SessionEvent[] {
  const [start, issued, ...rest] = Array.from({ length: 6 }, (_, k) =>
    syntheticEvent(index * 6 + k + 1, options),
  );
  if (start?.event !== "session.start" || !issued) throw new Error("the synthetic session has no start");
  const ready: SessionEvent = {
    event: "revocation.ready",
    time: start.time,
    session: start.session,
    task: start.task,
    caller: start.caller,
    host: start.host,
    ci: start.ci,
    role: start.role,
    via: "caller",
    revokerRole: null,
    boundary: "arn:aws:iam::123456789012:policy/task-role-boundary",
  };
  return [{ ...start, leaseSeconds: 180 }, ready, issued, ...rest];
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
