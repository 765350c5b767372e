// Propagation delay: on AWS a change to an entity's permission policies reaches authorization only
// after a while ("it may take a few minutes", IAM User Guide, "Changes that I make are not always
// immediately visible"). The sandbox keeps, per user or role with changes in flight, the policies
// authorization still sees and the queue of changes that will reach them; IAM's own reads see the
// entity itself, changed at once. No queue (the default, delay 0) means authorization sees the entity.
import { useEnglishZodMessages } from "../util/zod-messages.js";
import { MAX_PROPAGATION_MS } from "./defaults.js";
import type { RandomSource } from "./ids.js";
import { type PropagationInput, propagationSetting } from "./world.js";

/** The delay before a policy change takes effect for authorization: delayMs + uniform [0, jitterMs]. */
export interface PropagationSetting {
  delayMs: number;
  jitterMs: number;
}

/** What authorization reads of a user or role: inline documents by name, managed policy ARNs. */
export interface PolicyView {
  inline: Map<string, string>;
  managed: string[];
}

/** One change to a PolicyView (PutRolePolicy, DeleteRolePolicy, AttachRolePolicy …). */
export type PolicyChange = (view: PolicyView) => void;

/** The policies authorization still sees, and the changes due to reach them, oldest first. */
export interface PendingPolicies {
  effective: PolicyView;
  queue: Array<{ effectiveAt: number; change: PolicyChange }>;
}

/** A user or role: its current policies, and those in flight when a change has not propagated. */
export interface PolicyHolder extends PolicyView {
  pending?: PendingPolicies | undefined;
}

/** Changes apply at once, as they did before propagation was modelled. */
export const NO_PROPAGATION: PropagationSetting = { delayMs: 0, jitterMs: 0 };

// Checks a setting given in-process (startSandbox, setPropagation) with the world file's rules, so a
// bad one fails where it was given rather than at the next policy change.
export function checkedPropagation(input: PropagationInput): PropagationSetting {
  useEnglishZodMessages();
  const result = propagationSetting.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    throw new RangeError(`propagation: ${where}${issue?.message ?? "invalid"} (0..${MAX_PROPAGATION_MS} ms)`);
  }
  return { delayMs: result.data.delayMs, jitterMs: result.data.jitterMs ?? 0 };
}

/** Reads and sets a sandbox's delay: the handle's getPropagation/setPropagation, the admin routes. */
export interface PropagationControl {
  get: () => PropagationSetting;
  /** Checks the setting (RangeError when out of bounds) and answers it as now in force. */
  set: (setting: PropagationInput) => PropagationSetting;
}

// The control over the setting a SandboxState holds; copies in and out, so no caller can change it
// behind the checks.
export function propagationControl(holder: { propagation: PropagationSetting }): PropagationControl {
  return {
    get: () => ({ ...holder.propagation }),
    set: (setting) => {
      holder.propagation = checkedPropagation(setting);
      return { ...holder.propagation };
    },
  };
}

// The delay of one change: delayMs plus a uniform draw in [0, jitterMs] from the sandbox's random
// source (so a test that gives a deterministic source gets the same delays each run).
export function drawDelay(setting: PropagationSetting, random: RandomSource): number {
  if (setting.jitterMs === 0) return setting.delayMs;
  const unit = random.bytes(4).readUInt32BE(0) / 2 ** 32;
  return setting.delayMs + Math.floor(unit * (setting.jitterMs + 1));
}

// Applies a change to the entity at once (what IAM's reads see) and schedules it for authorization
// after delayMs. Changes to one entity take effect in order: never before an earlier one.
export function recordChange(entity: PolicyHolder, change: PolicyChange, now: number, delayMs: number): void {
  if (delayMs === 0 && entity.pending === undefined) {
    change(entity);
    return;
  }
  entity.pending ??= { effective: copyView(entity), queue: [] };
  const previous = entity.pending.queue.at(-1)?.effectiveAt ?? now;
  entity.pending.queue.push({ effectiveAt: Math.max(now + delayMs, previous), change });
  change(entity);
}

// The policies authorization sees at `now`: the changes due by then are applied, in order; when none
// is left in flight the entity itself is the answer again.
export function effectivePolicies(entity: PolicyHolder, now: number): PolicyView {
  const pending = entity.pending;
  if (pending === undefined) return entity;
  let next = pending.queue[0];
  while (next !== undefined && next.effectiveAt <= now) {
    next.change(pending.effective);
    pending.queue.shift();
    next = pending.queue[0];
  }
  if (next !== undefined) return pending.effective;
  entity.pending = undefined;
  return entity;
}

function copyView(view: PolicyView): PolicyView {
  return { inline: new Map(view.inline), managed: [...view.managed] };
}
