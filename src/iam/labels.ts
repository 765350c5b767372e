import type { PolicyType } from "./types.js";

// The policy-type phrases AWS uses in AccessDenied messages ("an identity-based policy", ...).
const LABELS: Readonly<Record<PolicyType, { noun: string; article: string }>> = {
  identity: { noun: "identity-based policy", article: "an" },
  session: { noun: "session policy", article: "a" },
  boundary: { noun: "permissions boundary", article: "a" },
  resource: { noun: "resource-based policy", article: "a" },
};

// Messages and explanations must name policy types exactly as AWS does ("a permissions boundary").
export function policyTypeNoun(type: PolicyType): string {
  return LABELS[type].noun;
}

// The noun with its article, as in "with an explicit deny in an identity-based policy".
export function policyTypeWithArticle(type: PolicyType): string {
  const label = LABELS[type];
  return `${label.article} ${label.noun}`;
}
