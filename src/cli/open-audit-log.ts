import { homedir, hostname } from "node:os";
import type { SessionEvent } from "../audit/events.js";
import { resolveLogPath } from "../audit/log-path.js";
import { SessionLog } from "../audit/session-log.js";
import type { RunAuditSink } from "../session/run-session.js";
import type { TaskFile } from "../task/model.js";

export interface OpenAuditLogInput {
  flag?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  taskFile?: TaskFile | undefined;
  cwd: string;
}

export interface OpenedAuditLog extends RunAuditSink {
  path: string;
}

// Resolves where the log lives and opens it before anything else happens, so that a log that
// cannot be written stops the command before any AWS call.
export async function openAuditLog(input: OpenAuditLogInput): Promise<OpenedAuditLog> {
  const path = resolveLogPath({
    flag: input.flag,
    env: input.env,
    taskFileLog: input.taskFile?.log,
    taskFileDir: input.taskFile?.directory,
    homedir: homedir(),
    cwd: input.cwd,
  });
  const log = await SessionLog.open(path, { host: hostname(), clock: { now: Date.now } });
  // run-session builds its events from the plan; the log checks their shape and chains them.
  return { path: log.path, append: (event) => log.append(event as SessionEvent) };
}
