import { constants } from "node:os";
import type { ProcessResult } from "./ports.js";

// The exit status a shell would report: the code, or 128 + N when the child died of signal N.
export function exitStatusOf(result: Pick<ProcessResult, "code" | "signal" | "spawnError">): number {
  if (result.spawnError) return 127;
  if (result.signal) return 128 + (constants.signals[result.signal] ?? 0);
  return result.code ?? 1;
}
