import type { SandboxClock } from "./clock.js";
import type { CallerIdentity, RequestFacts } from "./principal.js";
import type { SandboxRequest } from "./request.js";
import type { SandboxState } from "./state.js";

// What a service handler gets for one authenticated request.
export interface HandlerContext {
  state: SandboxState;
  clock: SandboxClock;
  request: SandboxRequest;
  caller: CallerIdentity;
  facts: RequestFacts;
  /** Records the action, resource and decision of the call in the journal entry. */
  note: (entry: {
    action: string;
    resource: string;
    decision: "allow" | "deny";
    reason?: string | undefined;
  }) => void;
}
