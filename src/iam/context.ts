import type { ContextValue } from "./types.js";

// A request context whose keys are matched case-insensitively, as IAM matches condition keys.
export interface RequestContext {
  get(key: string): ContextValue | undefined;
}

// IAM condition keys are case-insensitive (aws:CurrentTime equals AWS:currenttime).
export function createRequestContext(values: Readonly<Record<string, ContextValue>>): RequestContext {
  const map = new Map<string, ContextValue>();
  for (const [key, value] of Object.entries(values)) {
    map.set(key.toLowerCase(), value);
  }
  return { get: (key) => map.get(key.toLowerCase()) };
}
