import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CredentialServer,
  containerCredentials,
  refreshWindowMs,
  remainingMs,
  startCredentialServer,
} from "../../src/session/credential-server.js";
import type { IssuedCredentials } from "../../src/session/ports.js";

// The credential server on its own: the protocol, the token, the refresh decisions by an injected
// clock, and closing. The refresh is a function here; test/e2e/credentials-server.test.ts runs it
// with real STS sessions and real clients.

const T0 = Date.parse("2026-11-28T12:00:00Z");
const LIFETIME_S = 900;

function issued(n: number, expiration: number): IssuedCredentials {
  return {
    accessKeyId: `ASIAEXAMPLE${String(n).padStart(9, "0")}`,
    secretAccessKey: `secret-${n}`,
    sessionToken: `token-${n}`,
    expiration: new Date(expiration),
    assumedRoleId: `AROAEXAMPLE:ta-t-s${n > 0 ? `-r${n}` : ""}`,
    assumedRoleArn: `arn:aws:sts::123456789012:assumed-role/deployer/ta-t-s${n > 0 ? `-r${n}` : ""}`,
  };
}

interface Harness {
  server: CredentialServer;
  clock: { now: () => number; advance: (ms: number) => void };
  refreshes: number;
  warnings: string[];
  fail: boolean;
  /** Resolves the refresh in flight, when `hold` is set. */
  hold?: { wait: Promise<void>; release: () => void } | undefined;
}

const open: CredentialServer[] = [];
afterEach(async () => {
  for (const server of open.splice(0)) await server.close();
});

async function harness(options: { expiration?: number } = {}): Promise<Harness> {
  let now = T0;
  const h: Omit<Harness, "server"> = {
    clock: {
      now: () => now,
      advance: (ms: number) => {
        now += ms;
      },
    },
    refreshes: 0,
    warnings: [],
    fail: false,
  };
  const server = await startCredentialServer({
    initial: { credentials: issued(0, options.expiration ?? T0 + LIFETIME_S * 1000), issuedAt: T0 },
    lifetimeSeconds: LIFETIME_S,
    clock: h.clock,
    warn: (message) => h.warnings.push(message),
    refresh: async () => {
      await h.hold?.wait;
      if (h.fail) throw new Error("Throttling: Rate exceeded");
      h.refreshes += 1;
      return issued(h.refreshes, h.clock.now() + LIFETIME_S * 1000);
    },
  });
  open.push(server);
  return Object.assign(h, { server });
}

interface Reply {
  status: number | "refused";
  body: Record<string, string>;
}

function get(server: CredentialServer, init: { token?: string | null; path?: string; method?: string } = {}) {
  const url = new URL(server.url);
  const token = init.token === undefined ? server.token : init.token;
  return new Promise<Reply>((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: init.path ?? url.pathname,
        method: init.method ?? "GET",
        headers: token === null ? {} : { authorization: token },
        agent: false,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || "{}") }));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) =>
      error.code === "ECONNREFUSED" ? resolve({ status: "refused", body: {} }) : reject(error),
    );
    req.end();
  });
}

describe("the credential server", () => {
  it("answers the container-credentials JSON on 127.0.0.1, to the token only", async () => {
    const { server } = await harness();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/taskaccess\/[0-9a-f]{32}$/);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    expect(await get(server)).toEqual({
      status: 200,
      body: {
        AccessKeyId: "ASIAEXAMPLE000000000",
        SecretAccessKey: "secret-0",
        Token: "token-0",
        Expiration: "2026-11-28T12:15:00Z",
        AccountId: "123456789012",
      },
    });
    expect((await get(server, { token: null })).status).toBe(401);
    expect((await get(server, { token: "x" })).status).toBe(403);
    expect(
      (await get(server, { token: server.token.replace(/^./, (c) => (c === "0" ? "1" : "0")) })).status,
    ).toBe(403);
    expect((await get(server, { path: "/" })).status).toBe(404);
    expect((await get(server, { method: "POST" })).status).toBe(405);
  });

  it("keeps the credentials until a third of their lifetime is left, then re-assumes once", async () => {
    const h = await harness();
    h.clock.advance(599_000); // 301 s left: outside the 300 s window
    expect((await get(h.server)).body.AccessKeyId).toBe("ASIAEXAMPLE000000000");
    expect(h.refreshes).toBe(0);
    h.clock.advance(2_000); // 299 s left
    const replies = await Promise.all([1, 2, 3, 4, 5].map(() => get(h.server)));
    expect(new Set(replies.map((reply) => reply.body.AccessKeyId))).toEqual(
      new Set(["ASIAEXAMPLE000000001"]),
    );
    expect(h.refreshes).toBe(1);
    // Past every expiry, many lifetimes on: each request that finds them due gets new ones.
    for (let n = 2; n <= 4; n++) {
      h.clock.advance(3_600_000);
      expect((await get(h.server)).body.AccessKeyId).toBe(`ASIAEXAMPLE00000000${n}`);
    }
    expect(h.refreshes).toBe(4);
    expect(h.warnings).toEqual([]);
  });

  it("judges by the lifetime held when STS's clock is ahead, and by Expiration when it is behind", () => {
    const lifetime = LIFETIME_S * 1000;
    // STS 10 minutes ahead of this clock: its Expiration looks 25 minutes away, but 15 are.
    const ahead = { credentials: issued(0, T0 + 600_000 + lifetime), issuedAt: T0 };
    expect(remainingMs(ahead, lifetime, T0 + 700_000)).toBe(200_000);
    // STS behind, or a lifetime shorter than asked: the Expiration wins.
    const short = { credentials: issued(0, T0 + 400_000), issuedAt: T0 };
    expect(remainingMs(short, lifetime, T0 + 200_000)).toBe(200_000);
    expect(refreshWindowMs(900_000)).toBe(300_000);
    expect(refreshWindowMs(3_600_000)).toBe(1_200_000);
    expect(refreshWindowMs(43_200_000)).toBe(14_400_000);
  });

  it("keeps serving valid credentials when a refresh fails, and answers 503 once they are not", async () => {
    const h = await harness();
    h.fail = true;
    h.clock.advance(700_000); // 200 s left
    expect((await get(h.server)).body.AccessKeyId).toBe("ASIAEXAMPLE000000000");
    expect(h.warnings).toEqual([
      expect.stringMatching(
        /^could not refresh the credentials: Throttling: Rate exceeded; .* about 200 s more$/,
      ),
    ]);
    // Not asked again for REFRESH_RETRY_MS.
    await get(h.server);
    expect(h.warnings).toHaveLength(1);
    h.clock.advance(250_000); // expired
    const reply = await get(h.server);
    expect(reply.status).toBe(503);
    expect(reply.body.Code).toBe("CredentialsUnavailable");
    h.fail = false;
    expect((await get(h.server)).body.AccessKeyId).toBe("ASIAEXAMPLE000000001");
  });

  it("stops answering when closed, after the refresh in flight has finished", async () => {
    const h = await harness();
    let release = () => {};
    h.hold = { wait: new Promise<void>((resolve) => (release = resolve)), release };
    h.clock.advance(800_000);
    const inFlight = get(h.server).then(
      () => "answered",
      () => "cut off",
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    let closed = false;
    const closing = h.server.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    h.hold.release();
    await closing;
    expect(h.refreshes).toBe(1);
    // The request that was waiting was cut off with the server, not answered.
    expect(await inFlight).toBe("cut off");
    expect(await get(h.server)).toEqual({ status: "refused", body: {} });
  });

  it("writes Expiration in RFC 3339 without fractions, and AccountId from the session's ARN", () => {
    const body = containerCredentials(issued(0, Date.parse("2026-11-28T12:15:00.750Z")));
    expect(body.Expiration).toBe("2026-11-28T12:15:00Z");
    expect(body.AccountId).toBe("123456789012");
  });
});
