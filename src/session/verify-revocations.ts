// `revoke --verify`: does IAM still deny every unexpired session the log calls revoked? Each STS
// session is checked by evaluating a request it could make now against the role's inline policies
// with src/iam's evaluator: policy names are never trusted, only what the documents deny.

import type { CredentialsIssuedEvent, LogRecord } from "../audit/events.js";
import { SESSION_TAG } from "../aws/revoke-policy.js";
import {
  type AccessRequest,
  type ContextValue,
  evaluateRequest,
  type NamedPolicy,
  type PolicyDocument,
  parsePolicyDocument,
} from "../iam/index.js";
import type { LoadedSessions } from "./load-sessions.js";
import type { SessionSummary, StsSessionSummary } from "./session-summary.js";

/** One inline policy of a role: its name and its decoded JSON document. */
export interface InlinePolicy {
  name: string;
  document: string;
}

// The one thing the check needs of IAM; it calls it once per role, so adapters need no cache.
export interface RolePolicyReader {
  inlinePolicies(roleArn: string): Promise<InlinePolicy[]>;
}

/** denied: IAM denies the session now; deny-missing: it does not; unknown: the role could not be read. */
export type RevocationStatus = "denied" | "deny-missing" | "unknown";

/** The verdict on one STS session (a run with refreshes has several). */
export interface RevocationCheck {
  session: string;
  sessionName: string;
  task: string;
  role: string;
  expiresAt: string | null;
  status: RevocationStatus;
  /** denied: the inline policies whose statements deny this very session. */
  deniedBy?: string[] | undefined;
  /** unknown: why the role's policies could not be read or evaluated. */
  error?: string | undefined;
}

/** The moment the check is made at (deny "now"), and how it reads the roles' policies. */
export interface VerifyOptions {
  now: number;
  reader: RolePolicyReader;
}

/**
 * Requests probed, across services: only a deny of everything passes for ours (Action "*"), not
 * someone's deny of one service. sts:GetCallerIdentity is left out: AWS never denies it.
 */
const PROBE_ACTIONS = ["s3:ListAllMyBuckets", "iam:ListRoles", "ec2:DescribeRegions"] as const;
/** The session name of the made-up other session of the same role (see deniesThisSession). */
const CONTROL_SESSION = "taskaccess-verify-control";

/** What the log says of one STS session the check evaluates. */
interface RevokedStsSession {
  summary: SessionSummary;
  sts: StsSessionSummary;
  issued: CredentialsIssuedEvent | undefined;
}

/** The facts of a session that IAM conditions can test. */
interface Identity {
  roleArn: string;
  assumedRoleId: string;
  assumedRoleArn: string;
  tags: Record<string, string>;
  sourceIdentity: string | null;
  issuedAt: string;
}

/** A role's inline policies, one NamedPolicy per statement, and those that could not be parsed. */
interface RoleStatements {
  statements: NamedPolicy[];
  unreadable: string[];
}

// The reconciliation itself: one verdict per unexpired STS session the log calls revoked, in log
// order. Roles are read once each; a role that cannot be read makes its sessions unknown.
export async function verifyRevocations(
  loaded: Pick<LoadedSessions, "sessions" | "records">,
  options: VerifyOptions,
): Promise<RevocationCheck[]> {
  const roles = new Map<string, Promise<RoleStatements>>();
  const statementsFor = (roleArn: string) => {
    let found = roles.get(roleArn);
    if (!found) {
      found = options.reader.inlinePolicies(roleArn).then(roleStatements);
      roles.set(roleArn, found);
    }
    return found;
  };
  const checks: RevocationCheck[] = [];
  for (const candidate of revokedStsSessions(loaded, options.now)) {
    checks.push(await checkOne(candidate, statementsFor, options.now));
  }
  return checks;
}

// The STS sessions to check: revoked in the log (a session.revoked for that session name, or one
// naming none in older logs) and not yet expired; a session with no expiry logged is checked.
function revokedStsSessions(
  loaded: Pick<LoadedSessions, "sessions" | "records">,
  now: number,
): RevokedStsSession[] {
  const issued = issuedBySession(loaded.records);
  return loaded.sessions.flatMap((summary) =>
    (summary.stsSessions ?? []).flatMap((sts, index) => {
      if (!sts.revoked) return [];
      if (sts.expiresAt !== null && Date.parse(sts.expiresAt) <= now) return [];
      return [{ summary, sts, issued: issued.get(summary.session)?.[index] }];
    }),
  );
}

// Each session's credentials.issued lines in log order: the summary's stsSessions, one for one.
function issuedBySession(records: readonly LogRecord[]): Map<string, CredentialsIssuedEvent[]> {
  const bySession = new Map<string, CredentialsIssuedEvent[]>();
  for (const record of records) {
    if (record.event !== "credentials.issued") continue;
    const list = bySession.get(record.session) ?? [];
    list.push(record);
    bySession.set(record.session, list);
  }
  return bySession;
}

async function checkOne(
  { summary, sts, issued }: RevokedStsSession,
  statementsFor: (roleArn: string) => Promise<RoleStatements>,
  now: number,
): Promise<RevocationCheck> {
  const role = issued?.role ?? summary.role ?? "";
  const base = {
    session: summary.session,
    sessionName: sts.sessionName,
    task: summary.task,
    role,
    expiresAt: sts.expiresAt,
  };
  const identity = issued ? identityOf(issued) : undefined;
  if (!identity) return { ...base, status: "unknown", error: "the log has no credentials.issued for it" };
  try {
    return { ...base, ...verdict(identity, await statementsFor(role), now) };
  } catch (error) {
    return { ...base, status: "unknown", error: error instanceof Error ? error.message : String(error) };
  }
}

function identityOf(issued: CredentialsIssuedEvent): Identity {
  return {
    roleArn: issued.role,
    assumedRoleId: issued.assumedRoleId,
    assumedRoleArn: issued.assumedRoleArn,
    tags: issued.tags ?? {},
    sourceIdentity: issued.sourceIdentity ?? null,
    issuedAt: issued.time,
  };
}

/** Who asks, as the evaluator takes it: the session's ARN and its request context. */
type Asker = Pick<AccessRequest, "principalArn" | "context">;

// Denied when, for every probe, some statement denies this session; otherwise the deny is missing,
// unless a policy could not be evaluated (it might be the deny): then the answer is unknown.
function verdict(
  identity: Identity,
  role: RoleStatements,
  now: number,
): Pick<RevocationCheck, "status" | "deniedBy" | "error"> {
  const self = askerOf(identity, now);
  const control = askerOf(controlOf(identity), now);
  const deniedBy = new Set<string>();
  for (const action of PROBE_ACTIONS) {
    const statement = role.statements.find((s) => deniesThisSession(s, action, self, control));
    if (!statement) {
      if (role.unreadable.length === 0) return { status: "deny-missing" };
      return { status: "unknown", error: `could not evaluate ${role.unreadable.join("; ")}` };
    }
    deniedBy.add(statement.name);
  }
  return { status: "denied", deniedBy: [...deniedBy] };
}

// A statement revokes the session when it explicitly denies it and would not deny another session
// of the same role at the same moment (another aws:userid and session tag, the rest alike). A
// role-wide deny (a region guard whose condition key the probe cannot fill in, a lock-down that
// may be lifted any time) is someone else's, and must not pass for the session's own revocation.
function deniesThisSession(statement: NamedPolicy, action: string, self: Asker, control: Asker): boolean {
  return denies(statement, action, self) && !denies(statement, action, control);
}

function denies(statement: NamedPolicy, action: string, asker: Asker): boolean {
  const decision = evaluateRequest({ action, resource: "*", ...asker }, { identity: [statement] });
  return decision.kind === "explicit-deny";
}

function askerOf(identity: Identity, now: number): Asker {
  return { principalArn: identity.assumedRoleArn, context: contextOf(identity, now) };
}

// The request context IAM gives a role session's request (as src/sandbox/principal.ts builds it).
function contextOf(identity: Identity, now: number): Record<string, ContextValue> {
  const issuedAt = Date.parse(identity.issuedAt);
  const account = /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(identity.roleArn)?.[1];
  const context: Record<string, ContextValue> = {
    "aws:userid": identity.assumedRoleId,
    "aws:PrincipalArn": identity.roleArn,
    "aws:PrincipalType": "AssumedRole",
    "aws:CurrentTime": iso(now),
    "aws:EpochTime": String(Math.floor(now / 1000)),
    ...(account ? { "aws:PrincipalAccount": account } : {}),
    ...(Number.isFinite(issuedAt) ? { "aws:TokenIssueTime": iso(issuedAt) } : {}),
    ...(identity.sourceIdentity ? { "aws:SourceIdentity": identity.sourceIdentity } : {}),
  };
  for (const [key, value] of Object.entries(identity.tags)) context[`aws:PrincipalTag/${key}`] = value;
  return context;
}

// Another session of the same role, issued at the same time with the same tags but its own name.
function controlOf(identity: Identity): Identity {
  const roleId = identity.assumedRoleId.split(":")[0] ?? "";
  const arn = identity.assumedRoleArn;
  return {
    ...identity,
    assumedRoleId: `${roleId}:${CONTROL_SESSION}`,
    assumedRoleArn: `${arn.slice(0, arn.lastIndexOf("/") + 1)}${CONTROL_SESSION}`,
    tags: { ...identity.tags, [SESSION_TAG]: CONTROL_SESSION },
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// Splits every statement into a policy of its own (so each can be weighed alone); a document the
// evaluator cannot parse is set aside by name rather than read as denying nothing.
function roleStatements(policies: readonly InlinePolicy[]): RoleStatements {
  const result: RoleStatements = { statements: [], unreadable: [] };
  for (const policy of policies) {
    let document: PolicyDocument;
    try {
      document = parsePolicyDocument(policy.document);
    } catch (error) {
      result.unreadable.push(`${policy.name}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
    for (const statement of statements) {
      result.statements.push({ name: policy.name, document: { ...document, Statement: [statement] } });
    }
  }
  return result;
}

// What `--fix` hands revokeSessions: each run with a missing deny, listing as unrevoked exactly
// the STS sessions to revoke again (revocationTargets skips revoked ones), and no unlogged refresh.
export function fixTargets(
  sessions: readonly SessionSummary[],
  checks: readonly RevocationCheck[],
): SessionSummary[] {
  return sessions.flatMap((summary) => {
    const missing = checks.filter(
      (check) => check.session === summary.session && check.status === "deny-missing",
    );
    const [first] = missing;
    if (!first) return [];
    const names = new Set(missing.map((check) => check.sessionName));
    const stsSessions = (summary.stsSessions ?? [])
      .filter((sts) => names.has(sts.sessionName))
      .map((sts) => ({ ...sts, revoked: false, revocationFailed: false }));
    // A log cut before its session.start still names the role and session in credentials.issued.
    const role = summary.role ?? first.role;
    const sessionName = summary.sessionName ?? first.sessionName;
    return [{ ...summary, role, sessionName, revoked: false, credentialDelivery: null, stsSessions }];
  });
}
