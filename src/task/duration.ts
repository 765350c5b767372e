const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1 };
const DURATION_PATTERN = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

// Task files write durations as 900, "900", "15m" or "1h30m"; everything inside works in seconds.
export function parseDuration(value: number | string): number | undefined {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number.parseInt(text, 10);
  const match = DURATION_PATTERN.exec(text);
  if (!match || text === "") return undefined;
  const [, h, m, s] = match;
  return Number(h ?? 0) * (UNIT_SECONDS.h ?? 0) + Number(m ?? 0) * (UNIT_SECONDS.m ?? 0) + Number(s ?? 0);
}

// Prints seconds the way a person writes them in a task file ("1h30m", "15m", "45s").
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
}
