import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetPolicyCommand, GetRoleCommand } from "@aws-sdk/client-iam";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskAccessError } from "../../src/errors.js";
import type { JournalEntry } from "../../src/sandbox/journal.js";
import type { RunningSandbox } from "../../src/sandbox/start-sandbox.js";
import { defaultWorld } from "../../src/sandbox/world.js";
import { runCli } from "../helpers/run-cli.js";
import {
  ACCOUNT,
  assumeRole,
  baseCredentials,
  type Credentials,
  DEPLOYER,
  expectError,
  iamClient,
  policyJson,
  s3Client,
  startSandboxProcess,
  startTestSandbox,
  stsClient,
  wrongSecret,
} from "../helpers/sandbox.js";

const dir = mkdtempSync(join(tmpdir(), "taskaccess-world-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the call journal", () => {
  let sandbox: RunningSandbox;
  let base: Credentials;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
    base = baseCredentials(sandbox);
  });
  afterAll(() => sandbox.close());

  it("records who called what on which resource, the decision, the reason and the outcome", async () => {
    sandbox.journal.clear();
    const { credentials, output } = await assumeRole(sandbox, base, {
      RoleSessionName: "journal",
      Policy: policyJson({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::releases/app/*" }),
    });
    const s3 = s3Client(sandbox, credentials);
    await s3.send(new PutObjectCommand({ Bucket: "releases", Key: "app/j", Body: "j" }));
    await expectError(
      s3.send(new GetObjectCommand({ Bucket: "releases", Key: "docs/j" })),
      "AccessDenied",
      403,
    );
    await expectError(
      iamClient(sandbox, base).send(new GetRoleCommand({ RoleName: "ghost" })),
      "NoSuchEntity",
      404,
    );
    await expectError(
      stsClient(sandbox, { accessKeyId: "AKIANOBODY0000000000", secretAccessKey: "x".repeat(40) }).send(
        new GetCallerIdentityCommand({}),
      ),
      "InvalidClientTokenId",
      403,
    );

    const session = `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/journal`;
    const user = `arn:aws:iam::${ACCOUNT}:user/base`;
    const entries = sandbox.journal.find();
    const shape = (entry: JournalEntry) => {
      const { time, requestId, ...rest } = entry;
      expect(Date.parse(time)).toBeGreaterThan(0);
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      return rest;
    };
    expect(entries.map(shape)).toEqual([
      {
        service: "sts",
        operation: "AssumeRole",
        principal: user,
        accessKeyId: base.accessKeyId,
        action: "sts:AssumeRole",
        resource: DEPLOYER,
        decision: "allow",
        reason: 'Allowed by statement 0 of the trust policy "trust-policy".',
        status: 200,
      },
      {
        service: "s3",
        operation: "PutObject",
        principal: session,
        accessKeyId: credentials.accessKeyId,
        action: "s3:PutObject",
        resource: "arn:aws:s3:::releases/app/j",
        decision: "allow",
        reason: 'Allowed by statement 0 of identity-based policy "releases".',
        status: 200,
      },
      {
        service: "s3",
        operation: "GetObject",
        principal: session,
        accessKeyId: credentials.accessKeyId,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::releases/docs/j",
        decision: "deny",
        reason:
          "Implicitly denied: no session policy allows the s3:GetObject action on arn:aws:s3:::releases/docs/j.",
        status: 403,
        errorCode: "AccessDenied",
      },
      {
        service: "iam",
        operation: "GetRole",
        principal: user,
        accessKeyId: base.accessKeyId,
        action: "iam:GetRole",
        resource: `arn:aws:iam::${ACCOUNT}:role/ghost`,
        decision: "error",
        reason: "The role with name ghost cannot be found.",
        status: 404,
        errorCode: "NoSuchEntity",
      },
      {
        service: "sts",
        operation: "GetCallerIdentity",
        accessKeyId: "AKIANOBODY0000000000",
        decision: "error",
        reason: "The security token included in the request is invalid.",
        status: 403,
        errorCode: "InvalidClientTokenId",
      },
    ]);
    // Entries are found by any field, such as the request id the SDK reports.
    expect(sandbox.journal.find({ requestId: output.$metadata.requestId ?? "" })).toHaveLength(1);
    expect(sandbox.journal.find({ decision: "deny", service: "s3" })).toHaveLength(1);
  });

  it("journals authentication failures as errors: only an authorization decision is a deny", async () => {
    sandbox.journal.clear();
    const { credentials } = await assumeRole(sandbox, base, {
      RoleSessionName: "auth-errors",
      DurationSeconds: 900,
    });
    await expectError(
      stsClient(sandbox, { ...base, secretAccessKey: wrongSecret(base.secretAccessKey) }).send(
        new GetCallerIdentityCommand({}),
      ),
      "SignatureDoesNotMatch",
      403,
    );
    await expectError(
      iamClient(sandbox, { accessKeyId: "AKIANOBODY0000000000", secretAccessKey: "x".repeat(40) }).send(
        new GetRoleCommand({ RoleName: "deployer" }),
      ),
      "InvalidClientTokenId",
      403,
    );
    sandbox.clock.advance(900_000);
    await expectError(
      stsClient(sandbox, credentials).send(new GetCallerIdentityCommand({})),
      "ExpiredToken",
      403,
    );
    await expectError(
      s3Client(sandbox, base).send(new PutObjectCommand({ Bucket: "releases", Key: "app/x", Body: "x" })),
      "AccessDenied",
      403,
    );
    expect(
      sandbox.journal
        .find()
        .slice(1)
        .map((entry) => [entry.errorCode, entry.decision]),
    ).toEqual([
      ["SignatureDoesNotMatch", "error"],
      ["InvalidClientTokenId", "error"],
      ["ExpiredToken", "error"],
      ["AccessDenied", "deny"],
    ]);
  });
});

describe("world policies at start", () => {
  it("refuses a malformed managed policy as a bad world (exit 65) at start, not at the first call that uses it", async () => {
    const managed = defaultWorld();
    const account = managed.accounts[0];
    if (!account) throw new Error("no account");
    account.policies = [
      ...(account.policies ?? []),
      { name: "broken", document: '{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}' },
    ];
    const error: unknown = await startTestSandbox({ world: managed }).then(
      async (sandbox) => {
        await sandbox.close();
        return undefined;
      },
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TaskAccessError);
    expect(error).toMatchObject({
      message: "world: policy broken: Missing required field Effect",
      exitCode: 65,
    });
  });
});

describe("world references at start", () => {
  const worldNaming = (role: { managedPolicies?: string[]; permissionsBoundary?: string }) => {
    const world = defaultWorld();
    const account = world.accounts[0];
    if (!account) throw new Error("no account");
    account.policies = [
      ...(account.policies ?? []),
      {
        name: "boundary",
        path: "/limits/",
        document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
      },
      { name: "read", document: policyJson({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }) },
    ];
    account.roles = [
      ...(account.roles ?? []),
      { name: "referrer", trust: account.roles?.[0]?.trust ?? "", ...role },
    ];
    return world;
  };
  const refusal = (startup: Promise<RunningSandbox>) =>
    startup.then(
      async (sandbox) => {
        await sandbox.close();
        return undefined;
      },
      (caught: unknown) => caught,
    );

  it("refuses a managed policy or permissions boundary that names no policy of the world (exit 65, naming the ARN)", async () => {
    const missingBoundary = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
    const boundaryError = await refusal(
      startTestSandbox({ world: worldNaming({ permissionsBoundary: missingBoundary }) }),
    );
    expect(boundaryError).toBeInstanceOf(TaskAccessError);
    expect(boundaryError).toMatchObject({
      message: `world: accounts.0.roles.2.permissionsBoundary: ${missingBoundary} is not a policy of the world`,
      exitCode: 65,
    });
    const managedError = await refusal(
      startTestSandbox({
        world: worldNaming({
          managedPolicies: [
            `arn:aws:iam::${ACCOUNT}:policy/read`,
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            `arn:aws:iam::${ACCOUNT}:policy/other`,
          ],
        }),
      }),
    );
    expect(managedError).toMatchObject({
      message:
        "world: accounts.0.roles.2.managedPolicies.1: arn:aws:iam::aws:policy/ReadOnlyAccess is not a policy of the world (and 1 more)",
      exitCode: 65,
    });

    // From a file, the error names the file; the CLI exits 65.
    const file = join(dir, "dangling.json");
    writeFileSync(file, JSON.stringify(worldNaming({ permissionsBoundary: missingBoundary })));
    const cli = await runCli(["sandbox", "--port", "0", "--world", file]);
    expect(cli.code).toBe(65);
    expect(cli.stdout).toBe("");
    expect(cli.stderr).toContain(
      `error: world file ${file}: accounts.0.roles.2.permissionsBoundary: ${missingBoundary} is not a policy of the world\n`,
    );
  });

  it("counts the world's attachments and boundaries in GetPolicy", async () => {
    const read = `arn:aws:iam::${ACCOUNT}:policy/read`;
    const boundary = `arn:aws:iam::${ACCOUNT}:policy/limits/boundary`;
    const world = worldNaming({ managedPolicies: [read, read], permissionsBoundary: boundary });
    const user = world.accounts[0]?.users?.[0];
    if (!user) throw new Error("no user");
    user.managedPolicies = [read];
    const sandbox = await startTestSandbox({ world });
    try {
      const iam = iamClient(sandbox, baseCredentials(sandbox));
      expect((await iam.send(new GetPolicyCommand({ PolicyArn: read }))).Policy).toMatchObject({
        AttachmentCount: 2,
        PermissionsBoundaryUsageCount: 0,
      });
      expect((await iam.send(new GetPolicyCommand({ PolicyArn: boundary }))).Policy).toMatchObject({
        AttachmentCount: 0,
        PermissionsBoundaryUsageCount: 1,
      });
      const role = await iam.send(new GetRoleCommand({ RoleName: "referrer" }));
      expect(role.Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(boundary);
    } finally {
      await sandbox.close();
    }
  });
});

describe("a port in use", () => {
  it("fails to start with a clean error (exit 69) and a hint, in-process and as `taskaccess sandbox --port N`", async () => {
    const first = await startTestSandbox();
    try {
      const error = await startTestSandbox({ port: first.port }).then(
        async (second) => {
          await second.close();
          return undefined;
        },
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(TaskAccessError);
      expect(error).toMatchObject({
        message: `port ${first.port} on 127.0.0.1 is already in use`,
        exitCode: 69,
      });
      expect((error as TaskAccessError).hint).toContain("--port 0 picks a free port");

      const cli = await runCli(["sandbox", "--port", String(first.port)]);
      expect(cli.code).toBe(69);
      expect(cli.stdout).toBe("");
      expect(cli.stderr).toBe(
        `error: port ${first.port} on 127.0.0.1 is already in use\n  hint: stop what is using it, or choose another with --port N (--port 0 picks a free port)\n`,
      );
      // The first sandbox is unharmed.
      expect(
        (await stsClient(first, baseCredentials(first)).send(new GetCallerIdentityCommand({}))).Account,
      ).toBe(ACCOUNT);
    } finally {
      await first.close();
    }
  });
});

describe("taskaccess sandbox as a process", () => {
  it("prints the endpoint and keys, serves real clients, logs calls with -v, and stops cleanly on SIGINT", async () => {
    const proc = await startSandboxProcess(["--port", "0", "-v"]);
    try {
      expect(proc.stdout()).toMatch(/^taskaccess sandbox listening on http:\/\/127\.0\.0\.1:\d+\n/);
      expect(proc.stdout()).toContain(
        `# Base credentials of arn:aws:iam::${ACCOUNT}:user/base (sandbox-only keys):\n`,
      );
      expect(proc.stdout()).toContain(`\nexport AWS_ENDPOINT_URL=${proc.endpoint}\n`);
      expect(proc.stdout()).toContain(
        "\nunset AWS_SESSION_TOKEN AWS_PROFILE\nexport AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1\n",
      );
      expect(proc.credentials.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
      expect(proc.credentials.secretAccessKey).toHaveLength(40);
      expect(proc.port).toBeGreaterThan(0);

      const identity = await stsClient(proc, proc.credentials).send(new GetCallerIdentityCommand({}));
      expect(identity.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/base`);
      await proc.waitForStderr(
        new RegExp(
          `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z 200 ALLOW sts:GetCallerIdentity \\* by arn:aws:iam::${ACCOUNT}:user/base — needs no permission$`,
          "m",
        ),
      );

      const { credentials } = await assumeRole(proc, proc.credentials, {
        RoleSessionName: "from-process",
        Policy: policyJson({
          Effect: "Allow",
          Action: "s3:PutObject",
          Resource: "arn:aws:s3:::releases/app/*",
        }),
      });
      await s3Client(proc, credentials).send(
        new PutObjectCommand({ Bucket: "releases", Key: "app/p", Body: "p" }),
      );
      await expectError(
        s3Client(proc, credentials).send(new PutObjectCommand({ Bucket: "releases", Key: "x/p", Body: "p" })),
        "AccessDenied",
        403,
      );
      const missing = `arn:aws:iam::${ACCOUNT}:role/nope`;
      await expectError(
        stsClient(proc, proc.credentials).send(
          new AssumeRoleCommand({ RoleArn: missing, RoleSessionName: "n1" }),
        ),
        "AccessDenied",
        403,
      );
      await proc.waitForStderr(
        new RegExp(
          `Z 403 DENY sts:AssumeRole ${missing} by arn:aws:iam::${ACCOUNT}:user/base — no such role$`,
          "m",
        ),
      );
      expect(proc.stderr()).toMatch(
        new RegExp(
          `Z 200 ALLOW s3:PutObject arn:aws:s3:::releases/app/p by arn:aws:sts::${ACCOUNT}:assumed-role/deployer/from-process — Allowed by statement 0 of identity-based policy "releases"\\.$`,
          "m",
        ),
      );
      expect(proc.stderr()).toMatch(
        /Z 403 DENY s3:PutObject arn:aws:s3:::releases\/x\/p by .* — Implicitly denied: no session policy allows the s3:PutObject action on arn:aws:s3:::releases\/x\/p\.$/m,
      );

      // The admin endpoint of the other process, with the printed token.
      const health = await fetch(`${proc.endpoint}/_sandbox/health`, {
        headers: { "x-taskaccess-sandbox-token": proc.adminToken },
      });
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true });
    } finally {
      const stopped = await proc.stop("SIGINT");
      expect(stopped.code).toBe(0);
      expect(stopped.stderr.endsWith("sandbox stopped (SIGINT)\n")).toBe(true);
    }
    await expect(fetch(`${proc.endpoint}/_sandbox/health`)).rejects.toThrow();
  });

  it("loads a world file: its user's fixed keys, its role and bucket, and its faults; stops on SIGTERM", async () => {
    const world = join(dir, "world.yaml");
    writeFileSync(
      world,
      `accounts:
  - id: "111122223333"
    users:
      - name: ci
        path: /automation/
        accessKeys: [{ id: AKIAEXAMPLECI0000001, secret: sandbox-only-secret-0001 }]
        policies:
          assume:
            Version: "2012-10-17"
            Statement: [{ Effect: Allow, Action: sts:AssumeRole, Resource: "arn:aws:iam::111122223333:role/*" }]
    roles:
      - name: publisher
        trust:
          Version: "2012-10-17"
          Statement:
            - { Effect: Allow, Principal: { AWS: arn:aws:iam::111122223333:user/automation/ci }, Action: sts:AssumeRole }
        policies:
          publish: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::artifacts/*"}]}'
    buckets: [artifacts]
faults:
  sts:GetCallerIdentity: [ServiceUnavailable, ok]
`,
    );
    const proc = await startSandboxProcess(["--port", "0", "--world", world]);
    try {
      expect(proc.credentials).toEqual({
        accessKeyId: "AKIAEXAMPLECI0000001",
        secretAccessKey: "sandbox-only-secret-0001",
      });
      expect(proc.stdout()).toContain("# Base credentials of arn:aws:iam::111122223333:user/automation/ci");
      const sts = stsClient(proc, proc.credentials);
      await expectError(sts.send(new GetCallerIdentityCommand({})), "ServiceUnavailable", 503);
      expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(
        "arn:aws:iam::111122223333:user/automation/ci",
      );
      const { credentials, output } = await assumeRole(proc, proc.credentials, {
        RoleArn: "arn:aws:iam::111122223333:role/publisher",
        RoleSessionName: "publish",
      });
      expect(output.AssumedRoleUser?.Arn).toBe("arn:aws:sts::111122223333:assumed-role/publisher/publish");
      const s3 = s3Client(proc, credentials);
      expect((await s3.send(new PutObjectCommand({ Bucket: "artifacts", Key: "a", Body: "a" }))).ETag).toBe(
        '"0cc175b9c0f1b6a831c399e269772661"',
      );
      await expectError(
        s3.send(new PutObjectCommand({ Bucket: "releases", Key: "a", Body: "a" })),
        "AccessDenied",
        403,
      );
      // Without -v nothing is logged per call.
      expect(proc.stderr()).toBe("");
    } finally {
      const stopped = await proc.stop("SIGTERM");
      expect(stopped.code).toBe(0);
      expect(stopped.stderr).toBe("sandbox stopped (SIGTERM)\n");
    }
  });

  it("refuses a bad world file (schema, missing file, malformed policy) with exit 65, and a bad port with 64", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, 'accounts:\n  - id: "123"\n    buckets: [releases]\n');
    // Valid to the schema, but the trust policy has no Principal.
    const badPolicy = join(dir, "bad-policy.yaml");
    writeFileSync(
      badPolicy,
      `accounts:\n  - id: "123456789012"\n    roles:\n      - name: r\n        trust: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}'\n`,
    );
    const [badWorld, missing, malformed, badPort] = await Promise.all([
      runCli(["sandbox", "--port", "0", "--world", bad]),
      runCli(["sandbox", "--port", "0", "--world", join(dir, "missing.yaml")]),
      runCli(["sandbox", "--port", "0", "--world", badPolicy]),
      runCli(["sandbox", "--port", "70000"]),
    ]);
    expect(badWorld.code).toBe(65);
    expect(badWorld.stdout).toBe("");
    expect(badWorld.stderr).toContain(`world file ${bad}: accounts.0.id: `);
    expect(badWorld.stderr).toContain("see docs/sandbox.md for the world-file format");
    expect(missing.code).toBe(65);
    expect(missing.stderr).toContain(`cannot read the world file ${join(dir, "missing.yaml")}`);
    expect(malformed.code).toBe(65);
    expect(malformed.stderr).toBe(
      "error: world: policy r trust policy: Missing required field Principal\n  hint: see docs/sandbox.md for the world-file format\n",
    );
    expect(badPort.code).toBe(64);
    expect(badPort.stderr).toContain("--port 70000 is not a port number");
  });
});
