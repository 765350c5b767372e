// One request as the sandbox saw and decided it: what tests assert on and --verbose prints.
export interface JournalEntry {
  time: string;
  requestId: string;
  service: string;
  operation: string;
  principal?: string | undefined;
  accessKeyId?: string | undefined;
  action?: string | undefined;
  resource?: string | undefined;
  decision: "allow" | "deny" | "error" | "fault";
  reason?: string | undefined;
  status: number;
  errorCode?: string | undefined;
}

// An append-only, bounded record of calls, queryable from tests.
export class CallJournal {
  private readonly entries: JournalEntry[] = [];
  private readonly listeners = new Set<(entry: JournalEntry) => void>();

  constructor(private readonly limit = 100_000) {}

  // Adds an entry, dropping the oldest beyond the limit so a long-running sandbox cannot grow without bound.
  add(entry: JournalEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.shift();
    for (const listener of this.listeners) listener(entry);
  }

  // Entries matching every given field.
  find(filter: Partial<JournalEntry> = {}): JournalEntry[] {
    return this.entries.filter((entry) =>
      Object.entries(filter).every(([key, value]) => entry[key as keyof JournalEntry] === value),
    );
  }

  // Calls the listener for each new entry (used by --verbose).
  subscribe(listener: (entry: JournalEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
