import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ObjectStore, Retention } from "./object-store.js";

// Records that S3 would not take after the SDK's retries (not the write-ahead ones: those stop the
// run) wait here, one file each, and the next taskaccess command that opens the same S3 log sends
// them. They hold no secret (the log never does), but they are the record: 0600 in a 0700 folder.
export interface Spool {
  directory: string;
  keep: (bucket: string, key: string, text: string) => Promise<void>;
  /** Sends what waits for this bucket; a record already there (same key) is dropped. */
  flush: (
    bucket: string,
    store: ObjectStore,
    retention?: Retention | undefined,
  ) => Promise<{ sent: number; left: number }>;
}

// A spool under the state directory: <state>/taskaccess/spool/<bucket>/<key, URI-encoded>.
export function createSpool(directory: string): Spool {
  const folder = (bucket: string) => join(directory, bucket);
  return {
    directory,
    keep: async (bucket, key, text) => {
      await mkdir(folder(bucket), { recursive: true, mode: 0o700 });
      await writeFile(join(folder(bucket), encodeURIComponent(key)), text, { mode: 0o600, flag: "wx" });
    },
    flush: async (bucket, store, retention) => {
      const names = await readdir(folder(bucket)).catch(() => [] as string[]);
      let sent = 0;
      for (const name of names.sort()) {
        const file = join(folder(bucket), name);
        try {
          await store.putNew(decodeURIComponent(name), await readFile(file, "utf8"), retention);
          await rm(file, { force: true });
          sent++;
        } catch {
          // Still unreachable: it waits for the next command.
        }
      }
      return { sent, left: names.length - sent };
    },
  };
}
