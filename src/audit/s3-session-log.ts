import { chainEvent, GENESIS_PREV, sha256Hex } from "./chain.js";
import type { LogRecord, SessionEvent } from "./events.js";
import type { ObjectStore, Retention } from "./object-store.js";
import { formatBundle } from "./s3-bundle.js";
import { bundleKey, dayOf, parseRecordKey, recordKey, sessionFolder } from "./s3-keys.js";
import { formatS3Location, type S3Location } from "./s3-location.js";
import type { AuditSink } from "./session-log.js";
import { SessionLogError } from "./session-log-error.js";
import type { Spool } from "./spool.js";

export interface S3SessionLogOptions {
  store: ObjectStore;
  location: S3Location;
  clock: { now: () => number };
  /** Object Lock retention for every record, in days from its writing; else the bucket's default. */
  retention?: { mode: Retention["mode"]; days: number } | undefined;
  /** The day (YYYY/MM/DD) a session started, for sessions this process did not start (revoke). */
  dayOfSession?: ((session: string) => string | undefined) | undefined;
  /** Where records go that S3 would not take (not the write-ahead ones); sent later. */
  spool?: Spool | undefined;
  /** Told when a record was spooled instead of written. */
  warn?: ((message: string) => void) | undefined;
}

/** Written before the step they announce: if S3 will not take them, nothing runs. */
const WRITE_AHEAD = new Set(["session.start", "credentials.issued"]);
/** A concurrent writer took the next seq of the session (another `revoke`): read again, this often. */
const RACE_ATTEMPTS = 5;

interface ChainState {
  day: string;
  seq: number;
  prev: string;
  /** This process wrote the session's session.start (a run): only its records go in the background. */
  mine: boolean;
  /** A run's records as written, for the session's bundle at session.end. */
  texts: string[];
}

// The S3 session log's writer: each record its own object, under a key no other writer uses,
// written with If-None-Match: * so that nothing is ever overwritten, and chained per session
// (seq 1, 2, … and prev = SHA-256 of the previous record's bytes), so that a missing, changed,
// reordered or overwritten record shows in `log verify`.
export class S3SessionLog implements AuditSink {
  readonly path: string;
  private readonly chains = new Map<string, ChainState>();
  private readonly pending: Promise<void>[] = [];

  constructor(private readonly options: S3SessionLogOptions) {
    this.path = formatS3Location(options.location);
  }

  // Appends one event as the next record of its session. A write-ahead record, or one added to a
  // session another process started, is in S3 when this returns; any other record of a session
  // this process writes is chained now and sent in the background (flush waits for them), so that
  // a run adds only two sequential S3 writes before its command starts.
  async append(event: SessionEvent): Promise<LogRecord> {
    const own = this.chains.get(event.session);
    if (own?.mine && !WRITE_AHEAD.has(event.event)) return this.appendInBackground(event, own);
    for (let attempt = 1; ; attempt++) {
      const chain = await this.chainFor(event);
      const { record, text } = chainEvent(event, chain.seq + 1, chain.prev);
      const key = recordKey(this.options.location, {
        day: chain.day,
        session: event.session,
        seq: record.seq,
      });
      const outcome = await this.write(key, text, event.event);
      if (outcome === "exists" && attempt < RACE_ATTEMPTS) {
        this.chains.delete(event.session);
        continue;
      }
      if (outcome === "exists") {
        throw new SessionLogError(
          `could not add to session ${event.session} in ${this.path}: ${key} was taken ${attempt} times`,
        );
      }
      this.chains.set(event.session, {
        ...chain,
        seq: record.seq,
        prev: sha256Hex(text),
        texts: chain.mine ? [...chain.texts, text] : [],
      });
      return record;
    }
  }

  /** Waits for every record sent in the background. */
  async flush(): Promise<void> {
    await Promise.all(this.pending);
  }

  private appendInBackground(event: SessionEvent, chain: ChainState): LogRecord {
    const { record, text } = chainEvent(event, chain.seq + 1, chain.prev);
    const texts = [...chain.texts, text];
    this.chains.set(event.session, { ...chain, seq: record.seq, prev: sha256Hex(text), texts });
    const key = recordKey(this.options.location, { day: chain.day, session: event.session, seq: record.seq });
    if (event.event === "session.end") this.writeBundle(chain.day, event.session, texts);
    const sent = this.write(key, text, event.event).then(
      (outcome) => {
        // Only a `revoke` of this running session from elsewhere can take the key: verify shows it.
        if (outcome === "exists")
          this.options.warn?.(`${key} was written by another process; ${event.event} is not in the log`);
      },
      (error: unknown) => this.options.warn?.(messageOf(error)),
    );
    this.pending.push(sent);
    return record;
  }

  // The session's bundle, beside the session.end it holds and at the same time: `log verify` then
  // reads one object a session instead of one a record. Only a read-saver (s3-bundle.ts), so a bundle
  // S3 will not take is not spooled or reported: readers then read each record on its own.
  private writeBundle(day: string, session: string, texts: string[]): void {
    const key = bundleKey(this.options.location, day, session);
    const body = formatBundle(session, texts);
    this.pending.push(
      this.options.store.putNew(key, body, this.retention()).then(
        () => undefined,
        () => undefined,
      ),
    );
  }

  private async write(key: string, text: string, event: string): Promise<"written" | "exists" | "spooled"> {
    try {
      return await this.options.store.putNew(key, text, this.retention());
    } catch (error) {
      const spool = this.options.spool;
      if (WRITE_AHEAD.has(event) || !spool) {
        throw new SessionLogError(
          `could not write ${event} to the session log ${this.path}: ${messageOf(error)}`,
          {
            hint: "the base identity needs s3:PutObject (and s3:PutObjectRetention with a retention) on the log's prefix; check the bucket, the region and the network",
            cause: error,
          },
        );
      }
      await spool.keep(this.options.location.bucket, key, text);
      this.options.warn?.(
        `S3 did not take ${event} (${messageOf(error)}); kept in ${spool.directory} for the next taskaccess command to send`,
      );
      return "spooled";
    }
  }

  /** The retention a record written now gets (the spool's sender uses it too). */
  retention(): Retention | undefined {
    const setting = this.options.retention;
    if (!setting) return undefined;
    return {
      mode: setting.mode,
      retainUntil: new Date(this.options.clock.now() + setting.days * 86_400_000),
    };
  }

  // The session's chain so far: new for its session.start, else what this process wrote, else read back.
  private async chainFor(event: SessionEvent): Promise<ChainState> {
    const known = this.chains.get(event.session);
    if (known) return known;
    if (event.event === "session.start")
      return { day: dayOf(event.time), seq: 0, prev: GENESIS_PREV, mine: true, texts: [] };
    const day = this.options.dayOfSession?.(event.session);
    if (day === undefined) {
      throw new SessionLogError(`session ${event.session} is not in ${this.path}`, {
        hint: "`taskaccess log` lists the sessions of the log",
      });
    }
    return this.readChain(day, event.session);
  }

  // The last record of a session in S3: the next one chains onto it.
  private async readChain(day: string, session: string): Promise<ChainState> {
    const { store, location } = this.options;
    let last: { key: string; seq: number } | undefined;
    for await (const { key } of store.list(sessionFolder(location, day, session))) {
      const parsed = parseRecordKey(location, key);
      if (parsed && (!last || parsed.seq > last.seq)) last = { key, seq: parsed.seq };
    }
    if (!last) return { day, seq: 0, prev: GENESIS_PREV, mine: false, texts: [] };
    const text = await store.get(last.key);
    if (text === undefined) throw new SessionLogError(`${last.key} was listed but cannot be read`);
    return { day, seq: last.seq, prev: sha256Hex(text), mine: false, texts: [] };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
