import type { FaultStep } from "./world.js";

// Scripted faults per operation ("sts:AssumeRole", "iam:PutRolePolicy", "s3:PutObject" or "*"):
// each request to that operation takes the next step of its script; "ok" lets one through.
export class FaultPlan {
  private readonly scripts = new Map<string, FaultStep[]>();

  constructor(initial: Record<string, FaultStep[]> = {}) {
    for (const [operation, steps] of Object.entries(initial)) this.set(operation, steps);
  }

  // Replaces the script for an operation (an empty list clears it).
  set(operation: string, steps: FaultStep[]): void {
    if (steps.length === 0) this.scripts.delete(operation.toLowerCase());
    else this.scripts.set(operation.toLowerCase(), [...steps]);
  }

  clear(): void {
    this.scripts.clear();
  }

  // The fault for this request, if any, consuming one step.
  next(operation: string): FaultStep | undefined {
    for (const key of [operation.toLowerCase(), "*"]) {
      const script = this.scripts.get(key);
      if (script && script.length > 0) {
        const step = script.shift();
        if (script.length === 0) this.scripts.delete(key);
        return step === "ok" ? undefined : step;
      }
    }
    return undefined;
  }

  // What remains scripted, for the admin endpoint.
  describe(): Record<string, FaultStep[]> {
    return Object.fromEntries(this.scripts);
  }
}
