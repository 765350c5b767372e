import type { RandomSource } from "../sandbox/ids.js";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
/** 12 base32 characters: 60 bits, unique enough that two sessions never share an id. */
const SESSION_ID_LENGTH = 12;
/** STS roleSessionNameType: [\w+=,.@-]{2,64} (botocore sts/2011-06-15). */
const MAX_SESSION_NAME = 64;

// A short random session id: it names the session in the log, in a session tag and in the
// revocation policy, so it is kept short enough for many to fit IAM's size limits.
export function makeSessionId(random: Pick<RandomSource, "bytes">): string {
  const bytes = random.bytes(SESSION_ID_LENGTH);
  let id = "";
  for (let i = 0; i < SESSION_ID_LENGTH; i++) id += ALPHABET[(bytes[i] ?? 0) % 32];
  return id;
}

// The RoleSessionName: ta-<task>-<id>, sanitised to STS's alphabet and length. A refresh (the
// credential server re-assuming the role) is the same run, so the same id, with -r<N> after it.
export function makeSessionName(task: string, sessionId: string, refresh = 0): string {
  const suffix = refresh > 0 ? `-r${refresh}` : "";
  const room = MAX_SESSION_NAME - "ta-".length - 1 - sessionId.length - suffix.length;
  const safeTask = task.replace(/[^\w+=,.@-]/g, "-").slice(0, room);
  return `ta-${safeTask}-${sessionId}${suffix}`;
}

// A SourceIdentity from a CI actor or local user name: STS allows [\w+=,.@-]{2,64}, not starting "aws:".
export function sanitizeSourceIdentity(name: string | undefined): string | undefined {
  if (!name) return undefined;
  let value = name.replace(/[^\w+=,.@-]/g, "_").slice(0, 64);
  if (/^aws:/i.test(value)) value = `u_${value}`.slice(0, 64);
  return value.length >= 2 ? value : undefined;
}
