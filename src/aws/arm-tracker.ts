// What one revoker remembers between arm() and revoke() of the same session: an arm still in
// flight (revoke waits for it once its own deny is in place, so the armed policy it deletes cannot
// be written after), and that revocation has begun (an arm not yet written is then skipped).

import { setTimeout as sleep } from "node:timers/promises";

/** How long revoke() waits for an arm of the same session still in flight. */
const ARM_SETTLE_MS = 10_000;

export interface ArmTracker {
  /** Remembers an arm (with the clean-up after it) until it settles. */
  track: (key: string, settled: Promise<unknown>) => void;
  /** Marks the session as being revoked. */
  revoking: (key: string) => void;
  isRevoking: (key: string) => boolean;
  /** Waits, at most ARM_SETTLE_MS, for an arm of the session still in flight. */
  settle: (key: string) => Promise<void>;
}

// A tracker keyed by role ARN and session name (see keyOf).
export function createArmTracker(): ArmTracker {
  const inFlight = new Map<string, Promise<unknown>>();
  const revoked = new Set<string>();
  return {
    track: (key, settled) => {
      const quiet = settled.catch(() => {});
      inFlight.set(key, quiet);
      void quiet.finally(() => {
        if (inFlight.get(key) === quiet) inFlight.delete(key);
      });
    },
    revoking: (key) => {
      revoked.add(key);
    },
    isRevoking: (key) => revoked.has(key),
    settle: async (key) => {
      const pending = inFlight.get(key);
      if (pending) await Promise.race([pending, sleep(ARM_SETTLE_MS, undefined, { ref: false })]);
    },
  };
}

// The key of one session of one role.
export function keyOf(input: { roleArn: string; sessionName: string }): string {
  return `${input.roleArn}\n${input.sessionName}`;
}
