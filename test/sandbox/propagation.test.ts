// Propagation delay: a change to a role's permission policies reaches authorization only after the
// configured delay (IAM's own reads see it at once), changes to one role take effect in order, and
// the delay is set from the world file, the admin endpoint, startSandbox or `taskaccess sandbox`.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AttachRolePolicyCommand,
  DeleteRolePolicyCommand,
  GetPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode, TaskAccessError } from "../../src/errors.js";
import { ADMIN_TOKEN_HEADER } from "../../src/sandbox/defaults.js";
import type { RandomSource } from "../../src/sandbox/ids.js";
import type { RunningSandbox, StartSandboxOptions } from "../../src/sandbox/start-sandbox.js";
import { defaultWorld, loadWorldFile, type World } from "../../src/sandbox/world.js";
import { runInProcess } from "../helpers/run-cli.js";
import {
  ACCOUNT,
  ADMIN,
  assumeRole,
  baseCredentials,
  type Credentials,
  DEPLOYER,
  expectError,
  iamClient,
  policyJson,
  s3Client,
  startTestSandbox,
  worldWithAdmin,
} from "../helpers/sandbox.js";

const DENY_ALL = policyJson({ Effect: "Deny", Action: "*", Resource: "*" });

let sandbox: RunningSandbox;
afterEach(() => sandbox?.close());

const start = async (options: StartSandboxOptions = {}) => {
  sandbox = await startTestSandbox(options);
  return sandbox;
};

// A deployer session of the task, and the base user that revokes it.
async function deployerSession(name: string): Promise<{ session: Credentials; base: Credentials }> {
  const base = baseCredentials(sandbox);
  const { credentials } = await assumeRole(sandbox, base, { RoleSessionName: name });
  return { session: credentials, base };
}

const listReleases = (credentials: Credentials) =>
  s3Client(sandbox, credentials).send(new ListObjectsV2Command({ Bucket: "releases" }));

const putPolicy = (caller: Credentials, name: string, document = DENY_ALL) =>
  iamClient(sandbox, caller).send(
    new PutRolePolicyCommand({ RoleName: "deployer", PolicyName: name, PolicyDocument: document }),
  );

const deletePolicy = (caller: Credentials, name: string) =>
  iamClient(sandbox, caller).send(new DeleteRolePolicyCommand({ RoleName: "deployer", PolicyName: name }));

const inlineNames = async (caller: Credentials) =>
  (await iamClient(sandbox, caller).send(new ListRolePoliciesCommand({ RoleName: "deployer" }))).PolicyNames;

// The explicit-deny message of ListObjectsV2 (s3:ListBucket on the bucket) for a deployer session.
const explicitDeny = (session: string, policy: string) =>
  `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/${session} is not authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::releases" with an explicit deny in an identity-based policy: ${policy}`;

const deployer = () => {
  const role = sandbox.state.findRole(ACCOUNT, "deployer");
  if (!role) throw new Error("the world has no deployer role");
  return role;
};

describe("with a propagation delay", () => {
  it("keeps a session allowed right after a Deny is put on its role, and denies it once the delay has passed", async () => {
    await start({ propagation: { delayMs: 60_000 } });
    const { session, base } = await deployerSession("ta-put");
    await putPolicy(base, "revoke-ta-put");
    // IAM's reads see the change at once …
    const stored = await iamClient(sandbox, base).send(
      new GetRolePolicyCommand({ RoleName: "deployer", PolicyName: "revoke-ta-put" }),
    );
    expect(decodeURIComponent(stored.PolicyDocument ?? "")).toBe(DENY_ALL);
    expect(await inlineNames(base)).toEqual(["releases", "revoke-ta-put"]);
    // … authorization does not, until the delay has passed on the sandbox clock.
    const during = await listReleases(session);
    expect(during.$metadata.httpStatusCode).toBe(200);
    sandbox.clock.advance(59_000);
    expect((await listReleases(session)).$metadata.httpStatusCode).toBe(200);
    sandbox.clock.advance(1_000);
    const denied = await expectError(
      listReleases(session),
      "AccessDenied",
      403,
      explicitDeny("ta-put", "revoke-ta-put"),
    );
    expect(sandbox.journal.find({ requestId: during.$metadata.requestId ?? "" })[0]?.decision).toBe("allow");
    expect(sandbox.journal.find({ requestId: denied.$metadata.requestId ?? "" })[0]?.decision).toBe("deny");
  });

  it("lets GetRole confirm a revocation only once it took effect, with AWS's explicit-deny message", async () => {
    const world = defaultWorld();
    const role = world.accounts[0]?.roles?.find((r) => r.name === "deployer");
    if (!role?.policies) throw new Error("the default world has no deployer role");
    role.policies["read-self"] = JSON.parse(
      policyJson({ Effect: "Allow", Action: "iam:GetRole", Resource: DEPLOYER }),
    );
    await start({ world, propagation: { delayMs: 30_000 } });
    const { session, base } = await deployerSession("ta-x");
    await putPolicy(base, "revoke-ta-x");
    const iam = iamClient(sandbox, session);
    expect((await iam.send(new GetRoleCommand({ RoleName: "deployer" }))).Role?.Arn).toBe(DEPLOYER);
    sandbox.clock.advance(30_000);
    await expectError(
      iam.send(new GetRoleCommand({ RoleName: "deployer" })),
      "AccessDenied",
      403,
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ta-x is not authorized to perform: iam:GetRole on resource: role deployer with an explicit deny in an identity-based policy`,
    );
  });

  it("restores access after DeleteRolePolicy of a Deny only once the delay has passed", async () => {
    await start();
    const { session, base } = await deployerSession("ta-delete");
    // Delay 0 (the default): the Deny applies to the very next request.
    await putPolicy(base, "revoke-ta-delete");
    await expectError(
      listReleases(session),
      "AccessDenied",
      403,
      explicitDeny("ta-delete", "revoke-ta-delete"),
    );
    expect(deployer().pending).toBeUndefined();

    sandbox.setPropagation({ delayMs: 45_000 });
    await deletePolicy(base, "revoke-ta-delete");
    expect(await inlineNames(base)).toEqual(["releases"]);
    await expectError(
      iamClient(sandbox, base).send(
        new GetRolePolicyCommand({ RoleName: "deployer", PolicyName: "revoke-ta-delete" }),
      ),
      "NoSuchEntity",
      404,
    );
    await expectError(
      listReleases(session),
      "AccessDenied",
      403,
      explicitDeny("ta-delete", "revoke-ta-delete"),
    );
    sandbox.clock.advance(44_000);
    await expectError(listReleases(session), "AccessDenied", 403);
    sandbox.clock.advance(1_000);
    expect((await listReleases(session)).$metadata.httpStatusCode).toBe(200);
    // Nothing left in flight: authorization reads the role itself again.
    expect(deployer().pending).toBeUndefined();
  });

  it("delays AttachRolePolicy too, while ListAttachedRolePolicies and GetPolicy see it at once", async () => {
    const world = worldWithAdmin();
    const account = world.accounts[0];
    if (!account) throw new Error("no account");
    account.policies = [...(account.policies ?? []), { name: "deny-everything", document: DENY_ALL }];
    await start({ world, propagation: { delayMs: 10_000 } });
    const { session } = await deployerSession("ta-attach");
    const arn = `arn:aws:iam::${ACCOUNT}:policy/deny-everything`;
    const admin = iamClient(sandbox, ADMIN);
    await admin.send(new AttachRolePolicyCommand({ RoleName: "deployer", PolicyArn: arn }));
    const attached = await admin.send(new ListAttachedRolePoliciesCommand({ RoleName: "deployer" }));
    expect(attached.AttachedPolicies).toEqual([{ PolicyName: "deny-everything", PolicyArn: arn }]);
    expect((await admin.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.AttachmentCount).toBe(1);
    expect((await listReleases(session)).$metadata.httpStatusCode).toBe(200);
    sandbox.clock.advance(10_000);
    await expectError(
      listReleases(session),
      "AccessDenied",
      403,
      explicitDeny("ta-attach", "deny-everything"),
    );
  });

  it("takes effect after a short real wait, without moving the clock", async () => {
    await start({ propagation: { delayMs: 1_000 } });
    const { session, base } = await deployerSession("ta-wait");
    await putPolicy(base, "revoke-ta-wait");
    expect((await listReleases(session)).$metadata.httpStatusCode).toBe(200);
    await sleep(1_100);
    await expectError(listReleases(session), "AccessDenied", 403, explicitDeny("ta-wait", "revoke-ta-wait"));
  });
});

describe("order of changes to one role", () => {
  it("never lets a later change overtake an earlier one: with jitter, a put then a delete ends deleted", async () => {
    // The sandbox's random source, scripted for the two jitter draws: all ones (the most jitter),
    // then all zeros (none). Everything else (keys, tokens) stays random.
    const script: number[] = [];
    const random: RandomSource = {
      bytes: (count) => {
        const fill = script.shift();
        return fill === undefined ? randomBytes(count) : Buffer.alloc(count, fill);
      },
      uuid: () => randomUUID(),
    };
    await start({ random, propagation: { delayMs: 1_000, jitterMs: 600_000 } });
    const { session, base } = await deployerSession("ta-order");
    const before = sandbox.clock.now();
    script.push(0xff);
    await putPolicy(base, "revoke-ta-order");
    script.push(0x00);
    await deletePolicy(base, "revoke-ta-order");
    expect(script).toEqual([]);
    const times = deployer().pending?.queue.map((change) => change.effectiveAt) ?? [];
    expect(times).toHaveLength(2);
    // The put drew the whole jitter; the delete, drawn at 1 s, waits for it.
    expect((times[0] ?? 0) - before).toBeGreaterThanOrEqual(601_000);
    expect((times[0] ?? 0) - sandbox.clock.now()).toBeLessThanOrEqual(601_000);
    expect(times[1]).toBe(times[0]);
    sandbox.clock.advance(2_000);
    expect((await listReleases(session)).$metadata.httpStatusCode).toBe(200);
    sandbox.clock.advance(600_000);
    // Applied in order, put then delete: no Deny in the end. (Applied by their own times, the
    // delete would have come first and the Deny would have stayed.)
    expect((await listReleases(session)).$metadata.httpStatusCode).toBe(200);
    expect(deployer().pending).toBeUndefined();
  });

  it("makes a change made with delay 0 wait for an earlier change of the same role still in flight", async () => {
    await start({ propagation: { delayMs: 20_000 } });
    const { session, base } = await deployerSession("ta-late");
    await putPolicy(base, "first-deny");
    sandbox.setPropagation({ delayMs: 0 });
    await putPolicy(base, "second-deny");
    expect((await listReleases(session)).$metadata.httpStatusCode).toBe(200);
    sandbox.clock.advance(20_000);
    await expectError(listReleases(session), "AccessDenied", 403, explicitDeny("ta-late", "first-deny"));
  });
});

describe("where the delay is set", () => {
  const admin = (method: string, body?: string, token = sandbox.adminToken) =>
    fetch(`${sandbox.endpoint}/_sandbox/propagation`, {
      method,
      headers: { [ADMIN_TOKEN_HEADER]: token, "content-type": "application/json" },
      ...(body === undefined ? {} : { body }),
    });

  it("is 0 by default and can be read and set at /_sandbox/propagation, which then governs later changes", async () => {
    await start();
    const initial = await admin("GET");
    expect(initial.status).toBe(200);
    expect(await initial.json()).toEqual({ delayMs: 0, jitterMs: 0 });
    const set = await admin("POST", JSON.stringify({ delayMs: 90_000, jitterMs: 500 }));
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ delayMs: 90_000, jitterMs: 500 });
    expect(await (await admin("GET")).json()).toEqual({ delayMs: 90_000, jitterMs: 500 });
    expect(sandbox.getPropagation()).toEqual({ delayMs: 90_000, jitterMs: 500 });
    // jitterMs may be left out: 0.
    expect(await (await admin("POST", '{"delayMs":60000}')).json()).toEqual({ delayMs: 60_000, jitterMs: 0 });

    const { session, base } = await deployerSession("ta-admin");
    await putPolicy(base, "revoke-ta-admin");
    expect((await listReleases(session)).$metadata.httpStatusCode).toBe(200);
    const moved = await fetch(`${sandbox.endpoint}/_sandbox/clock`, {
      method: "POST",
      headers: { [ADMIN_TOKEN_HEADER]: sandbox.adminToken },
      body: JSON.stringify({ advanceSeconds: 60 }),
    });
    expect(moved.status).toBe(200);
    await expectError(
      listReleases(session),
      "AccessDenied",
      403,
      explicitDeny("ta-admin", "revoke-ta-admin"),
    );
  });

  it.each([
    ["not JSON", "{delayMs: 5", /^the body is not JSON: /],
    ["a negative delay", '{"delayMs":-1}', /^the body is not valid: delayMs: /],
    ["a delay over ten minutes", '{"delayMs":600001}', /^the body is not valid: delayMs: /],
    ["a jitter over ten minutes", '{"delayMs":0,"jitterMs":600001}', /^the body is not valid: jitterMs: /],
    ["a fractional delay", '{"delayMs":1.5}', /^the body is not valid: delayMs: /],
    ["a delay as text", '{"delayMs":"5s"}', /^the body is not valid: delayMs: /],
    ["no delay", '{"jitterMs":5}', /^the body is not valid: delayMs: /],
    ["an unknown key", '{"delayMs":5,"delay":5}', /^the body is not valid: /],
  ])("answers 400 to %s and changes nothing", async (_what, body, error) => {
    await start({ propagation: { delayMs: 1_234, jitterMs: 56 } });
    const response = await admin("POST", body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(error);
    expect(sandbox.getPropagation()).toEqual({ delayMs: 1_234, jitterMs: 56 });
  });

  it("answers 403 without the admin token", async () => {
    await start();
    expect((await admin("GET", undefined, "wrong")).status).toBe(403);
    expect((await admin("POST", '{"delayMs":5}', "wrong")).status).toBe(403);
    expect(sandbox.getPropagation()).toEqual({ delayMs: 0, jitterMs: 0 });
  });

  it("takes startSandbox's option over the world's, and refuses values out of 0..600000 in-process", async () => {
    const world: World = { ...defaultWorld(), propagation: { delayMs: 5_000, jitterMs: 100 } };
    await start({ world });
    expect(sandbox.getPropagation()).toEqual({ delayMs: 5_000, jitterMs: 100 });
    await sandbox.close();
    await start({ world, propagation: { delayMs: 1_500 } });
    expect(sandbox.getPropagation()).toEqual({ delayMs: 1_500, jitterMs: 0 });
    expect(() => sandbox.setPropagation({ delayMs: 600_001 })).toThrow(RangeError);
    expect(() => sandbox.setPropagation({ delayMs: 0, jitterMs: -1 })).toThrow(/propagation: jitterMs: /);
    expect(() => sandbox.setPropagation({ delayMs: 0.5 })).toThrow(RangeError);
    expect(sandbox.getPropagation()).toEqual({ delayMs: 1_500, jitterMs: 0 });
    expect(sandbox.setPropagation({ delayMs: 600_000, jitterMs: 600_000 })).toEqual({
      delayMs: 600_000,
      jitterMs: 600_000,
    });
    await expect(startTestSandbox({ propagation: { delayMs: -5 } })).rejects.toThrow(RangeError);
  });

  it("reads `propagation` from a world file, and refuses a bad one with exit 65", async () => {
    const dir = mkdtempSync(join(tmpdir(), "taskaccess-propagation-"));
    const accounts = 'accounts:\n  - id: "123456789012"\n    buckets: [releases]\n';
    const good = join(dir, "good.yaml");
    writeFileSync(good, `${accounts}propagation:\n  delayMs: 2000\n  jitterMs: 500\n`);
    const world = await loadWorldFile(good);
    expect(world.propagation).toEqual({ delayMs: 2000, jitterMs: 500 });
    await start({ world });
    expect(sandbox.getPropagation()).toEqual({ delayMs: 2000, jitterMs: 500 });

    for (const [text, where] of [
      ["propagation:\n  delayMs: 600001\n", "propagation.delayMs: "],
      ["propagation:\n  delayMs: 10\n  jitter: 5\n", "propagation: "],
      ["propagation: { jitterMs: 5 }\n", "propagation.delayMs: "],
    ] as const) {
      const bad = join(dir, "bad.yaml");
      writeFileSync(bad, `${accounts}${text}`);
      const error = await loadWorldFile(bad).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, text).toBeInstanceOf(TaskAccessError);
      expect((error as TaskAccessError).exitCode).toBe(ExitCode.taskFile);
      expect((error as TaskAccessError).message).toContain(`world file ${bad}: ${where}`);
    }
  });

  it("takes --propagation-delay on `taskaccess sandbox`, and refuses a bad one with exit 64", async () => {
    const started = await runInProcess(["sandbox", "--port", "0", "--propagation-delay", "5s"]);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain("\n# IAM policy changes take effect for authorization after 5000 ms.\n");
    const inMs = await runInProcess(["sandbox", "--port", "0", "--propagation-delay", "1500ms"]);
    expect(inMs.stdout).toContain("after 1500 ms.\n");
    const bare = await runInProcess(["sandbox", "--port", "0", "--propagation-delay", "250"]);
    expect(bare.stdout).toContain("after 250 ms.\n");
    const none = await runInProcess(["sandbox", "--port", "0"]);
    expect(none.code).toBe(0);
    expect(none.stdout).not.toContain("take effect for authorization");
    for (const value of ["11m", "1.5s", "soon", "-5", ""]) {
      const refused = await runInProcess(["sandbox", "--port", "0", "--propagation-delay", value]);
      expect(refused.code, value).toBe(ExitCode.usage);
      expect(refused.stderr, value).toContain(
        `--propagation-delay ${value} is not a delay of at most 10 minutes`,
      );
    }
  });
});
