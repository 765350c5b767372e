import { splitArn } from "./arn.js";
import type { Effect, Principal } from "./types.js";

// How a Principal entry named the caller: its own ARN ("leaf"), the role behind its session ("role"),
// its account ("account"), or everyone ("wildcard").
export type PrincipalMatchKind = "leaf" | "role" | "account" | "wildcard";

interface CallerIdentity {
  arn: string;
  partition: string | undefined;
  account: string | undefined;
  // For a role session or the role itself: the role's name (role ARNs in sessions carry no path).
  roleName: string | undefined;
  isRoleSession: boolean;
  isAccountRoot: boolean;
}

const ACCOUNT_ID = /^\d{12}$/;

// A session ARN (arn:aws:sts::A:assumed-role/NAME/S) must also be recognised as role NAME of A.
function describeCaller(principalArn: string): CallerIdentity {
  const parts = splitArn(principalArn);
  const base: CallerIdentity = {
    arn: principalArn,
    partition: parts?.partition,
    account: parts?.account === "" ? undefined : parts?.account,
    roleName: undefined,
    isRoleSession: false,
    isAccountRoot: false,
  };
  if (parts === undefined) return base;
  const segments = parts.resource.split("/");
  if (parts.service === "sts" && segments[0] === "assumed-role" && segments.length >= 3) {
    return { ...base, roleName: segments[1], isRoleSession: true };
  }
  if (parts.service === "iam" && segments[0] === "role" && segments.length >= 2) {
    return { ...base, roleName: segments.at(-1) };
  }
  if (parts.service === "iam" && parts.resource === "root") return { ...base, isAccountRoot: true };
  return base;
}

function awsEntryMatch(entry: string, caller: CallerIdentity): PrincipalMatchKind | undefined {
  if (entry === "*") return "wildcard";
  if (ACCOUNT_ID.test(entry)) return entry === caller.account ? "account" : undefined;
  if (entry === caller.arn) return caller.isAccountRoot ? "account" : "leaf";
  const parts = splitArn(entry);
  if (parts === undefined || parts.service !== "iam") return undefined;
  if (parts.account !== caller.account || parts.partition !== caller.partition) return undefined;
  if (parts.resource === "root") return "account";
  const segments = parts.resource.split("/");
  if (segments[0] === "role" && caller.roleName !== undefined && segments.at(-1) === caller.roleName) {
    return caller.isRoleSession ? "role" : "leaf";
  }
  return undefined;
}

function entries(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

// All the ways a Principal/NotPrincipal element names the caller (empty when it does not name it).
export function principalMatches(principal: Principal, principalArn: string): Set<PrincipalMatchKind> {
  const found = new Set<PrincipalMatchKind>();
  if (principal === "*") {
    found.add("wildcard");
    return found;
  }
  const caller = describeCaller(principalArn);
  for (const [type, value] of Object.entries(principal)) {
    for (const entry of entries(value)) {
      if (type === "AWS") {
        const kind = awsEntryMatch(entry, caller);
        if (kind !== undefined) found.add(kind);
      } else if (entry === "*" || entry === principalArn) {
        // Service, Federated and CanonicalUser principals are named by exact identifier.
        found.add(entry === "*" ? "wildcard" : "leaf");
      }
    }
  }
  return found;
}

// AWS may check each identity in the caller's chain against NotPrincipal (IAM docs, "NotPrincipal").
export function notPrincipalApplies(notPrincipal: Principal, principalArn: string, effect: Effect): boolean {
  // The chain is the account, the role behind a session, and the session or user itself. A Deny spares
  // the caller only when every identity is listed; an Allow grants only when none of them is listed.
  const listed = principalMatches(notPrincipal, principalArn);
  if (listed.has("wildcard")) return false;
  const caller = describeCaller(principalArn);
  const chain: PrincipalMatchKind[] = [];
  if (caller.account !== undefined) chain.push("account");
  if (caller.isRoleSession) chain.push("role");
  if (!caller.isAccountRoot) chain.push("leaf");
  return effect === "Deny"
    ? !chain.every((kind) => listed.has(kind))
    : !chain.some((kind) => listed.has(kind));
}

// Same- versus cross-account evaluation needs the caller's account id, when its ARN names one.
export function principalAccount(principalArn: string): string | undefined {
  return describeCaller(principalArn).account;
}
