// Confirms a revocation the only way that proves it: the session's own credentials, refused by AWS
// because of an explicit deny in an identity-based policy (the role's inline deny). On AWS a policy
// change takes effect after propagation (IAM User Guide, "Disabling permissions for temporary
// security credentials": "it may take a few minutes"), so the deny may be written and not yet hold.

import type { ConfirmInput, ConfirmOutcome, RevocationConfirmer } from "../session/ports.js";
import { iamRegionFor } from "./iam-partition.js";
import { sdkLogger } from "./sdk-logger.js";
import { type AwsClientOptions, endpointOptions } from "./sts-issuer.js";

/**
 * The text IAM puts in an AccessDenied caused by an explicit Deny in an identity policy (IAM User
 * Guide, "Troubleshoot access denied error messages": "… with an explicit deny in an
 * identity-based policy"). An implicit denial ("because no session policy allows …") is not ours.
 */
export const EXPLICIT_IDENTITY_DENY = "with an explicit deny in an identity-based policy";

export interface ConfirmerOptions {
  /** IAM's endpoint (the same the revoker uses); the region comes from the role ARN's partition. */
  iam: Pick<AwsClientOptions, "endpoint" | "endpointResolved" | "warn">;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

const FIRST_PAUSE_MS = 200;
const LONGEST_PAUSE_MS = 2_000;

// Asks IAM, with the session's credentials, for iam:GetRole on its own role: a read with no side
// effect, which every session is refused once the deny holds, and which says why it was refused.
export function createRevocationConfirmer(options: ConfirmerOptions): RevocationConfirmer {
  return {
    confirm: async (input: ConfirmInput): Promise<ConfirmOutcome> => {
      const iam = await import("@aws-sdk/client-iam");
      const client = new iam.IAMClient({
        region: iamRegionFor(input.roleArn),
        ...endpointOptions(options.iam),
        credentials: input.credentials,
        maxAttempts: 1,
        logger: sdkLogger("IAM", options.iam.warn),
      });
      const roleName = input.roleArn.slice(input.roleArn.lastIndexOf("/") + 1);
      const deadline = input.since + input.withinMs;
      let pause = FIRST_PAUSE_MS;
      let last = "no answer yet";
      try {
        for (;;) {
          const answer = await client.send(new iam.GetRoleCommand({ RoleName: roleName })).then(
            () => "the request was allowed",
            (error: unknown) => describeRefusal(error),
          );
          if (answer === "denied")
            return { state: "seen", afterMs: Math.max(0, options.now() - input.since) };
          if (answer === "expired") return { state: "expired" };
          last = answer;
          if (options.now() + pause > deadline) break;
          await options.sleep(pause);
          pause = Math.min(LONGEST_PAUSE_MS, Math.round(pause * 1.5));
        }
      } finally {
        client.destroy();
      }
      return { state: "not-seen", waitedMs: Math.max(0, options.now() - input.since), last };
    },
  };
}

// "denied" for our explicit deny, "expired" for credentials past their expiry, else what AWS said.
function describeRefusal(error: unknown): string {
  const e = error as { name?: string; message?: string };
  const message = (e.message ?? String(error)).replace(/\s+/g, " ").trim();
  if (message.includes(EXPLICIT_IDENTITY_DENY)) return "denied";
  if (e.name === "ExpiredToken" || e.name === "ExpiredTokenException") return "expired";
  return `${e.name ?? "Error"}: ${message}`;
}
