import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { TaskAccessError } from "../../src/errors.js";
import type { CredentialMode } from "../../src/session/credential-modes.js";
import type { RunPlan } from "../../src/session/plan-run.js";
import type { AssumeRoleInput, IssuedCredentials, RevokeInput } from "../../src/session/ports.js";
import { type RunEvent, runSession } from "../../src/session/run-session.js";

// runSession's side of the delivery modes, with its ports faked: which STS sessions a server run
// issues, logs and revokes, in what order, and that the endpoint is closed before revocation.
// test/e2e/credentials-*.test.ts do the same with STS, IAM and real clients.

const ROLE = "arn:aws:iam::123456789012:role/deployer";

function plan(credentials: CredentialMode): RunPlan {
  return {
    task: {
      name: "deploy",
      role: ROLE,
      region: "eu-west-1",
      durationSeconds: 900,
      params: [],
      allow: [],
      deny: [],
      policyArns: [],
      tags: {},
      reason: "optional",
    },
    params: {},
    reason: null,
    command: "child",
    args: [],
    interactive: false,
    policy: '{"Version":"2012-10-17","Statement":[]}',
    policySha256: "0".repeat(64),
    sessionId: "abcdefghijkl",
    sessionName: "ta-deploy-abcdefghijkl",
    sourceIdentity: undefined,
    tags: { "taskaccess:session": "abcdefghijkl" },
    ci: undefined,
    warnings: [],
    timeoutMs: undefined,
    graceMs: 1000,
    credentials,
    isolation: "none",
    revokeWithinMs: 5000,
    durationSeconds: 900,
    externalId: undefined,
    mfaSerial: undefined,
  };
}

function get(url: string, token: string): Promise<{ status: number | "refused"; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        headers: { authorization: token },
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) =>
      error.code === "ECONNREFUSED" ? resolve({ status: "refused", body: "" }) : reject(error),
    );
    req.end();
  });
}

describe("runSession with --credentials server", () => {
  it("logs every refresh, retries a failed one under the same name, closes, then revokes them all", async () => {
    let now = Date.parse("2026-11-28T12:00:00Z");
    const assumed: string[] = [];
    let failNext: "ambiguous" | "refused" | undefined;
    const revoked: RevokeInput[] = [];
    const events: RunEvent[] = [];
    let endpoint: { url: string; token: string } | undefined;
    const seen: string[] = [];
    const outcome = await runSession(plan("server"), {
      issuer: {
        region: async () => "eu-west-1",
        callerIdentity: async () => ({
          arn: "arn:aws:iam::123456789012:user/base",
          account: "123456789012",
          userId: "AIDA",
        }),
        assumeRole: async (input: AssumeRoleInput): Promise<IssuedCredentials> => {
          assumed.push(input.sessionName);
          const failure = failNext;
          failNext = undefined;
          if (failure === "ambiguous") throw new Error("socket hang up");
          if (failure === "refused") throw new TaskAccessError("AccessDenied", { exitCode: 77 });
          return {
            accessKeyId: `ASIA${assumed.length}`,
            secretAccessKey: "secret",
            sessionToken: "token",
            expiration: new Date(now + 900_000),
            assumedRoleId: `AROA:${input.sessionName}`,
            assumedRoleArn: `arn:aws:sts::123456789012:assumed-role/deployer/${input.sessionName}`,
          };
        },
      },
      revoker: {
        revoke: async (input) => {
          // The endpoint is gone before the first revocation.
          if (endpoint) expect((await get(endpoint.url, endpoint.token)).status).toBe("refused");
          revoked.push(input);
          return {
            policyName: `taskaccess-revoke-1-${input.sessionName}`,
            method: "inline-deny",
            attempts: 1,
          };
        },
        arm: async () => {
          throw new Error("a run without a timeout has nothing to pre-arm");
        },
        deleteExpired: async () => [],
        prepare: async () => ({ via: "caller" as const, boundary: { state: "none" as const } }),
      },
      runner: {
        run: async (input) => {
          await input.onStart(4242);
          expect(input.env.AWS_ACCESS_KEY_ID).toBeUndefined();
          const url = input.env.AWS_CONTAINER_CREDENTIALS_FULL_URI ?? "";
          const token = input.env.AWS_CONTAINER_AUTHORIZATION_TOKEN ?? "";
          endpoint = { url, token };
          const fetchKey = async () => {
            const reply = await get(url, token);
            seen.push(
              reply.status === 200
                ? (JSON.parse(reply.body) as { AccessKeyId: string }).AccessKeyId
                : String(reply.status),
            );
          };
          await fetchKey(); // ASIA1
          now += 700_000; // inside the window, still valid: the failed refresh leaves the old ones
          failNext = "ambiguous";
          await fetchKey(); // ASIA1 again, warned
          now += 250_000; // expired: refresh (r1 again), succeeds
          await fetchKey();
          now += 950_000;
          failNext = "refused";
          await fetchKey(); // 503: refused, and expired
          await fetchKey(); // r2, first success under that name
          return { code: 0, signal: null, timedOut: false, durationMs: 1 };
        },
      },
      audit: {
        append: async (event) => {
          events.push(event);
        },
      },
      clock: { now: () => now },
      host: "h",
      cwd: "/",
      env: { AWS_ACCESS_KEY_ID: "AKIAPARENT", PATH: "/bin" },
      argv: ["child"],
      pid: 1,
      isolation: { applied: "none" },
      interrupt: new AbortController().signal,
      interruptedBy: () => undefined,
      warn: () => {},
    });
    expect(seen).toEqual(["ASIA1", "ASIA1", "ASIA3", "503", "ASIA5"]);
    expect(assumed).toEqual([
      "ta-deploy-abcdefghijkl",
      "ta-deploy-abcdefghijkl-r1",
      "ta-deploy-abcdefghijkl-r1",
      "ta-deploy-abcdefghijkl-r2",
      "ta-deploy-abcdefghijkl-r2",
    ]);
    expect(events.map((event) => [event.event, event.sessionName ?? null, event.refresh ?? null])).toEqual([
      ["session.start", "ta-deploy-abcdefghijkl", null],
      ["revocation.ready", null, null],
      ["credentials.issued", "ta-deploy-abcdefghijkl", null],
      ["process.start", null, null],
      ["credentials.issued", "ta-deploy-abcdefghijkl-r1", 1],
      ["credentials.issued", "ta-deploy-abcdefghijkl-r2", 2],
      ["process.exit", null, null],
      ["session.revoked", "ta-deploy-abcdefghijkl", null],
      ["session.revoked", "ta-deploy-abcdefghijkl-r1", null],
      ["session.revoked", "ta-deploy-abcdefghijkl-r2", null],
      ["session.end", null, null],
    ]);
    // r1 once, with the id of the session that arrived: a deny on that aws:userid also covers the
    // one the failed attempt may have created.
    expect(revoked.map((input) => [input.sessionName, input.assumedRoleId])).toEqual([
      ["ta-deploy-abcdefghijkl", "AROA:ta-deploy-abcdefghijkl"],
      ["ta-deploy-abcdefghijkl-r1", "AROA:ta-deploy-abcdefghijkl-r1"],
      ["ta-deploy-abcdefghijkl-r2", "AROA:ta-deploy-abcdefghijkl-r2"],
    ]);
    expect(events[0]).toMatchObject({ credentialDelivery: "server" });
    expect(outcome).toMatchObject({ exitCode: 0, revoked: true, refreshes: 2 });
  });
});
