import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { execa } from "execa";
import type { LogRecord } from "../audit/events.js";
import { verifySessionLog } from "../audit/verify-log.js";
import { ExitCode, TaskAccessError } from "../errors.js";
import { startSandbox } from "../sandbox/start-sandbox.js";
import { loadSessions } from "../session/load-sessions.js";
import { findPackageRoot } from "../util/package-root.js";
import { errorSummary, signedRequest } from "./signed-request.js";

export interface DemoIo {
  /** One line of the demo's story. */
  say: (text: string) => void;
  /** A line that the run (taskaccess or its child) printed, passed on as it came. */
  relay: (text: string, stream: "stdout" | "stderr") => void;
  env: Readonly<Record<string, string | undefined>>;
}

export interface DemoResult {
  logPath: string;
  runExitCode: number;
  deniedAfter: boolean;
  chainOk: boolean;
  chainHead: string;
  records: LogRecord[];
  /** How long after the deny was written AWS (the sandbox) first refused the session; null if never seen. */
  confirmedAfterMs: number | null;
}

const VERSION = "1.4.2";
/** IAM says changes "may take a few minutes"; seconds keep the demo short and the window visible. */
const DEMO_PROPAGATION = { delayMs: 2_000, jitterMs: 1_000 };
const REGION = "eu-west-1";

// The README's main job, end to end and offline: a real `taskaccess run` process against an
// in-process sandbox, then proof that the credentials the child used no longer work.
export async function runDemo(io: DemoIo): Promise<DemoResult> {
  // Like IAM, the sandbox applies a change to a role's policies only after a while: the window
  // between the deny being written and the credentials being refused is real, and the run shows it.
  const sandbox = await startSandbox({ port: 0, propagation: DEMO_PROPAGATION });
  const root = findPackageRoot(import.meta.url);
  const dir = await mkdtemp(join(tmpdir(), "taskaccess-demo-"));
  try {
    const base = sandbox.users[0];
    if (!base)
      throw new TaskAccessError("the sandbox's built-in world has no user", { exitCode: ExitCode.internal });
    const taskFile = join(dir, "taskaccess.yaml");
    const logPath = join(dir, "sessions.jsonl");
    await writeFile(taskFile, await readFile(join(root, "examples/taskaccess.yaml"), "utf8"));
    io.say(`sandbox (STS, IAM, S3) on ${sandbox.endpoint}; base identity ${base.user}`);
    io.say(
      `like IAM, the sandbox applies a role-policy change ${DEMO_PROPAGATION.delayMs / 1000}-${(DEMO_PROPAGATION.delayMs + DEMO_PROPAGATION.jitterMs) / 1000} s after it is made (propagation); the run waits until AWS refuses the revoked credentials, and says how long that took`,
    );
    io.say(`task file ${taskFile} (the example: task deploy may write only releases/app/{{version}}/*)`);
    const argv = [
      join(root, "bin/taskaccess"),
      "run",
      "deploy",
      "--param",
      `version=${VERSION}`,
      "--reason",
      "taskaccess demo",
      "--log",
      logPath,
      "--",
      process.execPath,
      join(root, "dist/demo/demo-child.js"),
      VERSION,
    ];
    io.say(
      `$ taskaccess run deploy --param version=${VERSION} --reason "taskaccess demo" -- node demo-child.js ${VERSION}`,
    );
    const run = execa(process.execPath, argv, {
      cwd: dir,
      extendEnv: false,
      env: demoEnv(io.env, sandbox.endpoint, base.accessKeyId, base.secretAccessKey),
      reject: false,
    });
    const relayed = [relayLines(run.stdout, "stdout", io), relayLines(run.stderr, "stderr", io)];
    const result = await run;
    await Promise.all(relayed);
    const runExitCode = result.exitCode ?? 128;

    const { records } = await loadSessions(logPath);
    const issued = records.find((record) => record.event === "credentials.issued");
    let deniedAfter = false;
    if (issued?.event === "credentials.issued") {
      // The sandbox knows the secret it issued; nothing secret was ever written to disk or output.
      const key = sandbox.state.credentials.get(issued.accessKeyId);
      if (key?.kind === "session") {
        const after = await signedRequest({
          endpoint: sandbox.endpoint,
          service: "s3",
          region: REGION,
          credentials: key,
          method: "GET",
          path: `/releases/app/${VERSION}/app.tar.gz`,
        });
        deniedAfter = after.status === 403;
        io.say(
          `after the task: the same credentials (${issued.accessKeyId}, valid until ${issued.expiration}) GET s3://releases/app/${VERSION}/app.tar.gz -> ${after.status} ${after.status === 200 ? "OK (still usable!)" : errorSummary(after.body)}`,
        );
      }
    }
    const verified = await verifySessionLog(logPath);
    const revoked = records.find((record) => record.event === "session.revoked");
    const confirmedAfterMs =
      revoked?.event === "session.revoked" && typeof revoked.confirmedAfterMs === "number"
        ? revoked.confirmedAfterMs
        : null;
    return {
      logPath,
      runExitCode,
      deniedAfter,
      chainOk: verified.ok,
      chainHead: verified.head,
      records,
      confirmedAfterMs,
    };
  } finally {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// Only what a run needs: the sandbox's base keys and endpoint, never the user's own AWS setup.
function demoEnv(
  parent: Readonly<Record<string, string | undefined>>,
  endpoint: string,
  accessKeyId: string,
  secretAccessKey: string,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: parent.PATH ?? "/usr/bin:/bin",
    HOME: parent.HOME ?? tmpdir(),
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  for (const name of ["NO_COLOR", "FORCE_COLOR", "TERM"]) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

// Passes the run's output on line by line as it comes, so the story reads in order.
async function relayLines(stream: Readable | null, name: "stdout" | "stderr", io: DemoIo): Promise<void> {
  if (!stream) return;
  for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    io.relay(line, name);
  }
}
