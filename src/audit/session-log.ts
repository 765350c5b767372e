import { constants, type Stats } from "node:fs";
import { type FileHandle, lstat, open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { chainEvent, GENESIS_PREV, sha256Hex } from "./chain.js";
import type { LogRecord, SessionEvent } from "./events.js";
import { type FileLockOptions, withFileLock } from "./file-lock.js";
import { MAX_LINE_BYTES } from "./line-splitter.js";
import { checkLogOwner, formatMode, prepareLogDirectory } from "./log-directory.js";
import { parseLogLine } from "./read-log.js";
import { SessionLogError } from "./session-log-error.js";

/** Where the run lifecycle sends its events; SessionLog is the real one, tests may pass their own. */
export interface AuditSink {
  append(event: SessionEvent): Promise<LogRecord>;
}

export interface SessionLogOptions {
  /** This machine's name, for the lock (a holder on this host is checked for being alive). */
  host: string;
  clock: { now: () => number };
  /** Lock tuning (timeouts, and test seams). */
  lock?: Omit<FileLockOptions, "host" | "clock"> | undefined;
}

const TAIL_CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
/** O_NOFOLLOW: open fails with ELOOP on a symlink, closing the gap between our lstat and our open. */
const APPEND_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_NOFOLLOW;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

// The append-only, hash-chained JSON Lines log. Every append takes the lock, reads only the last
// line, writes one line with one write() to an O_APPEND descriptor and fsyncs before returning:
// once append resolves the line is on disk, and if it rejects the caller must not go on.
export class SessionLog implements AuditSink {
  readonly path: string;
  private readonly options: SessionLogOptions;

  private constructor(path: string, options: SessionLogOptions) {
    this.path = path;
    this.options = options;
  }

  // Checks (and if missing creates) the log before anything runs, so a log that cannot be written
  // stops the run before STS is called, with an error that says what to fix.
  static async open(path: string, options: SessionLogOptions): Promise<SessionLog> {
    const file = resolve(path);
    const { shared } = await prepareLogDirectory(dirname(file));
    let created = false;
    let stats = await lstatOrUndefined(file);
    if (stats === undefined) {
      created = await createLogFile(file);
      stats = await lstat(file).catch((error: unknown) => {
        throw fsError(`cannot read the session log ${file}`, file, error);
      });
    }
    checkLogStats(file, stats);
    if (shared) checkLogOwner(file, stats);
    const handle = await openForAppend(file);
    try {
      checkLogStats(file, await handle.stat());
    } finally {
      await handle.close();
    }
    if (created) await syncDirectory(dirname(file));
    return new SessionLog(file, options);
  }

  // Appends one event as the next line of the chain and returns the record as written.
  async append(event: SessionEvent): Promise<LogRecord> {
    const lockOptions: FileLockOptions = {
      ...this.options.lock,
      host: this.options.host,
      clock: this.options.clock,
    };
    return withFileLock(this.path, () => this.appendLocked(event), lockOptions);
  }

  private async appendLocked(event: SessionEvent): Promise<LogRecord> {
    const file = this.path;
    const handle = await openForAppend(file);
    try {
      const stats = await handle.stat();
      checkLogStats(file, stats);
      const size = stats.size;
      const last = await readLastLine(handle, size, file);
      let seq = 1;
      let prev = GENESIS_PREV;
      if (last !== undefined) {
        const parsed = parseLogLine(last.toString("utf8"));
        if (!parsed.ok) {
          throw new SessionLogError(
            `the last line of the session log ${file} is not a valid record (${parsed.error}), so nothing can be chained onto it`,
            { path: file, hint: damagedLogHint(file) },
          );
        }
        seq = parsed.record.seq + 1;
        prev = sha256Hex(last);
      }
      const { record, text } = chainEvent(event, seq, prev);
      const line = Buffer.from(`${text}\n`, "utf8");
      await writeLine(handle, line, size, file);
      try {
        await handle.sync();
      } catch (error) {
        throw fsError(`cannot flush the session log ${file} to disk`, file, error);
      }
      return record;
    } finally {
      await handle.close().catch(() => {});
    }
  }
}

/** Creates an empty log readable and writable by its owner only; false if another process won the race. */
async function createLogFile(file: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(file, CREATE_FLAGS, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw fsError(`cannot create the session log ${file}`, file, error);
  }
  try {
    await handle.chmod(0o600); // exactly 0600, whatever the umask
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

// The log is evidence: refuse one that someone else could have swapped (a symlink) or edited.
function checkLogStats(file: string, stats: Stats): void {
  if (stats.isSymbolicLink()) {
    throw new SessionLogError(`the session log ${file} is a symbolic link; refusing to write through it`, {
      path: file,
      hint: "give the real file with --log / TASKACCESS_LOG",
    });
  }
  if (!stats.isFile()) {
    throw new SessionLogError(`the session log ${file} is not a regular file`, {
      path: file,
      hint: "give a file path with --log / TASKACCESS_LOG",
    });
  }
  if ((stats.mode & 0o022) !== 0) {
    throw new SessionLogError(
      `the session log ${file} is writable by ${(stats.mode & 0o002) !== 0 ? "everyone" : "its group"} (mode ${formatMode(stats.mode)}), so others could edit it`,
      { path: file, hint: `run chmod 600 ${file}` },
    );
  }
}

async function openForAppend(file: string): Promise<FileHandle> {
  try {
    return await open(file, APPEND_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") {
      throw new SessionLogError(`the session log ${file} is a symbolic link; refusing to write through it`, {
        path: file,
        hint: "give the real file with --log / TASKACCESS_LOG",
        cause: error,
      });
    }
    if (code === "ENOENT") {
      throw new SessionLogError(`the session log ${file} was removed while taskaccess was using it`, {
        path: file,
        hint: "do not move or rotate the log while a run is going on",
        cause: error,
      });
    }
    throw fsError(`cannot open the session log ${file} for writing`, file, error);
  }
}

// Reads backwards from the end in chunks until the newline before the last line: the cost
// depends on the last line's length, not the file's. Undefined for an empty file.
async function readLastLine(handle: FileHandle, size: number, file: string): Promise<Buffer | undefined> {
  if (size === 0) return undefined;
  const lastByte = await readAt(handle, size - 1, 1, file);
  if (lastByte[0] !== NEWLINE) {
    throw new SessionLogError(
      `the session log ${file} ends in an incomplete line (a write was cut short), so nothing can be chained onto it`,
      { path: file, hint: damagedLogHint(file) },
    );
  }
  const end = size - 1;
  const chunks: Buffer[] = [];
  let position = end;
  while (position > 0) {
    const start = Math.max(0, position - TAIL_CHUNK_BYTES);
    const chunk = await readAt(handle, start, position - start, file);
    const newline = chunk.lastIndexOf(NEWLINE);
    if (newline !== -1) {
      chunks.unshift(chunk.subarray(newline + 1));
      break;
    }
    chunks.unshift(chunk);
    position = start;
    if (end - position > MAX_LINE_BYTES) {
      throw new SessionLogError(`the last line of ${file} is longer than any session log line`, {
        path: file,
        hint: "check the path given with --log or TASKACCESS_LOG",
      });
    }
  }
  return Buffer.concat(chunks);
}

async function readAt(handle: FileHandle, position: number, length: number, file: string): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  try {
    while (done < length) {
      const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } catch (error) {
    throw fsError(`cannot read the session log ${file}`, file, error);
  }
  if (done < length)
    throw new SessionLogError(`the session log ${file} shrank while it was read`, { path: file });
  return buffer;
}

// One write() call for the whole line. If the write fails or is short (a full disk), the file is
// cut back to where it was, which is safe because we hold the lock, so no half line is left behind.
async function writeLine(handle: FileHandle, line: Buffer, sizeBefore: number, file: string): Promise<void> {
  let written = 0;
  let failure: unknown;
  try {
    written = (await handle.write(line, 0, line.length)).bytesWritten;
  } catch (error) {
    failure = error;
  }
  if (failure === undefined && written === line.length) return;
  const restored = await handle.truncate(sizeBefore).then(
    () => true,
    () => false,
  );
  const what =
    failure === undefined
      ? `only ${written} of ${line.length} bytes were written`
      : (failure as Error).message;
  throw new SessionLogError(
    restored
      ? `cannot write to the session log ${file}: ${what}; nothing was recorded`
      : `cannot write to the session log ${file}: ${what}; the log may now end in an incomplete line`,
    { path: file, hint: restored ? fullLogHint(file) : damagedLogHint(file), cause: failure },
  );
}

// A write that stopped part-way or failed on an open log: most likely space or a size limit.
function fullLogHint(file: string): string {
  return `the file system holding ${dirname(file)} may be full, or the file may have reached a size limit; free space, or set --log / TASKACCESS_LOG to a log elsewhere`;
}

// Makes a new file's directory entry durable, so the file survives a crash with its first line.
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the file's own fsync still holds its lines.
  }
}

async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fsError(`cannot read the session log ${file}`, file, error);
  }
}

function fsError(message: string, path: string, error: unknown): SessionLogError {
  return new SessionLogError(`${message}: ${(error as Error).message}`, { path, cause: error });
}

function damagedLogHint(file: string): string {
  return `run \`taskaccess log verify --log ${file}\` to see the damage; keep the file for review and move it aside to start a new log`;
}
