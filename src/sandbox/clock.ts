// The sandbox's idea of "now": real time plus an offset a test can move forward, so expiry and
// refresh can be tested in seconds rather than in fifteen minutes.
export interface SandboxClock {
  now: () => number;
  advance: (milliseconds: number) => void;
  /**
   * What the clients' clocks read: now() without the advances (advancing the sandbox does not move
   * them). SigV4's 15-minute skew check compares the signing time with this, not with now().
   */
  clientNow?: () => number;
}

// A clock on top of a base time source (Date.now by default).
export function createSandboxClock(base: () => number = Date.now): SandboxClock {
  let offset = 0;
  return {
    now: () => base() + offset,
    advance: (milliseconds) => {
      offset += milliseconds;
    },
    clientNow: base,
  };
}
