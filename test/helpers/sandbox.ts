// Helpers for the sandbox tests: a sandbox per file, real SDK clients and the real AWS CLI pointed
// at it, and raw SigV4-signed requests for what the SDK cannot send (virtual-host S3, wire checks).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { Agent, request as httpRequest } from "node:http";
import { join, resolve } from "node:path";
import { IAMClient, type IAMClientConfig } from "@aws-sdk/client-iam";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  type AssumeRoleCommandOutput,
  STSClient,
  type STSClientConfig,
} from "@aws-sdk/client-sts";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "vitest";
import {
  type RunningSandbox,
  type StartSandboxOptions,
  startSandbox,
} from "../../src/sandbox/start-sandbox.js";
import { defaultWorld, type World, type WorldBucket } from "../../src/sandbox/world.js";

// As in run-cli.ts, without importing it (it loads the whole CLI).
const REPO_ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(REPO_ROOT, "bin/taskaccess");

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
export const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/deployer`;
export const READER = `arn:aws:iam::${ACCOUNT}:role/reader`;

/** What a client needs of a sandbox: an in-process one, or one running as a separate process. */
export type SandboxAddress = Pick<RunningSandbox, "endpoint" | "port">;

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

// Starts a sandbox on a free port with the default world unless told otherwise.
export function startTestSandbox(options: StartSandboxOptions = {}): Promise<RunningSandbox> {
  return startSandbox({ port: 0, ...options });
}

/** Fixed keys of the admin user that worldWithAdmin() adds. */
export const ADMIN: Credentials = {
  accessKeyId: "AKIAADMINEXAMPLE0001",
  secretAccessKey: "admin-secret-key-for-the-sandbox-tests00",
};

// The default world plus user/admin, allowed everything, for what user/base may not do (CreateRole,
// CreatePolicy, AttachRolePolicy, CreateBucket).
export function worldWithAdmin(): World {
  const world = defaultWorld();
  const account = world.accounts[0];
  if (!account) throw new Error("the default world has no account");
  account.users = [
    ...(account.users ?? []),
    {
      name: "admin",
      accessKeys: [{ id: ADMIN.accessKeyId, secret: ADMIN.secretAccessKey }],
      policies: {
        admin: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
      },
    },
  ];
  return world;
}

/** The serial of user/base's virtual MFA device in worldWithAssumeConditions(). */
export const BASE_MFA_SERIAL = `arn:aws:iam::${ACCOUNT}:mfa/base`;
/** The serial of user/admin's device there: a real device, but not base's. */
export const ADMIN_MFA_SERIAL = `arn:aws:iam::${ACCOUNT}:mfa/admin`;
/** The seed of both devices: RFC 6238's test seed "12345678901234567890", in base32. */
export const MFA_SEED_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
export const MFA_SEED = Buffer.from("12345678901234567890");
/** A role whose trust policy requires MFA (Bool aws:MultiFactorAuthPresent true). */
export const MFA_ROLE = `arn:aws:iam::${ACCOUNT}:role/mfa-deployer`;
/** A role whose trust policy requires the external id PARTNER_EXTERNAL_ID (StringEquals sts:ExternalId). */
export const PARTNER_ROLE = `arn:aws:iam::${ACCOUNT}:role/partner`;
export const PARTNER_EXTERNAL_ID = "tenant-42";

// worldWithAdmin() with a virtual MFA device for user/base and for user/admin, and two roles like
// deployer (same policies, same boundary) whose trust policies add a condition: mfa-deployer needs
// MFA, partner the external id tenant-42.
export function worldWithAssumeConditions(): World {
  const world = worldWithAdmin();
  const account = world.accounts[0];
  if (!account) throw new Error("the default world has no account");
  const deployer = account.roles?.find((role) => role.name === "deployer");
  if (!deployer) throw new Error("the default world has no deployer");
  for (const user of account.users ?? []) {
    user.mfaDevices = [{ serial: `arn:aws:iam::${ACCOUNT}:mfa/${user.name}`, seed: MFA_SEED_BASE32 }];
  }
  const trust = (condition: Record<string, unknown>) => ({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        Condition: condition,
      },
    ],
  });
  account.roles = [
    ...(account.roles ?? []),
    { ...deployer, name: "mfa-deployer", trust: trust({ Bool: { "aws:MultiFactorAuthPresent": "true" } }) },
    {
      ...deployer,
      name: "partner",
      trust: trust({ StringEquals: { "sts:ExternalId": PARTNER_EXTERNAL_ID } }),
    },
  ];
  return world;
}

// The long-term keys of the world's first user (in the default world, user/base).
export function baseCredentials(sandbox: RunningSandbox): Credentials {
  const base = sandbox.users[0];
  if (!base) throw new Error("the sandbox world has no user");
  return { accessKeyId: base.accessKeyId, secretAccessKey: base.secretAccessKey };
}

export function stsClient(
  sandbox: SandboxAddress,
  credentials: Credentials,
  extra: Partial<STSClientConfig> = {},
): STSClient {
  return new STSClient({ endpoint: sandbox.endpoint, region: REGION, credentials, maxAttempts: 1, ...extra });
}

export function iamClient(
  sandbox: SandboxAddress,
  credentials: Credentials,
  extra: Partial<IAMClientConfig> = {},
): IAMClient {
  return new IAMClient({ endpoint: sandbox.endpoint, region: REGION, credentials, maxAttempts: 1, ...extra });
}

export function s3Client(
  sandbox: SandboxAddress,
  credentials: Credentials,
  extra: Partial<S3ClientConfig> = {},
): S3Client {
  return new S3Client({
    endpoint: sandbox.endpoint,
    region: REGION,
    credentials,
    forcePathStyle: true,
    maxAttempts: 1,
    ...extra,
  });
}

// Resolves every *.localhost name to the loopback address, as RFC 6761 (6.3) says resolvers should
// (curl and systemd-resolved do; glibc's files+dns does not), and anything else as usual.
function loopbackLookup(
  hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  if (hostname === "localhost" || hostname.endsWith(".localhost")) {
    if (options.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
    else callback(null, "127.0.0.1", 4);
    return;
  }
  dnsLookup(hostname, options, (error, address, family) => callback(error, address, family));
}

// An S3 client that addresses buckets virtual-host style (bucket.HOST:PORT), as the SDK does by
// default, against the sandbox named by a *.localhost host (such as "localhost" or "s3.localhost").
export function virtualHostS3Client(
  sandbox: SandboxAddress,
  credentials: Credentials,
  host = "localhost",
): S3Client {
  return new S3Client({
    endpoint: `http://${host}:${sandbox.port}`,
    region: REGION,
    credentials,
    forcePathStyle: false,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ lookup: loopbackLookup }) }),
  });
}

export interface PresignInput {
  method: "GET" | "PUT" | "HEAD" | "DELETE";
  bucket: string;
  key: string;
  expiresIn?: number;
  signingDate?: Date;
}

// A presigned S3 URL (path style), made as @aws-sdk/s3-request-presigner's S3RequestPresigner makes
// one (not installed here): x-amz-content-sha256 = UNSIGNED-PAYLOAD, hoisted into the query as
// X-Amz-Content-Sha256, content-type unsigned, then SignatureV4.presign.
export async function presignS3Url(
  sandbox: SandboxAddress,
  credentials: Credentials,
  input: PresignInput,
): Promise<string> {
  const signer = new SignatureV4({
    credentials,
    region: REGION,
    service: "s3",
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const path = `/${input.bucket}/${input.key.split("/").map(encodeURIComponent).join("/")}`;
  const presigned = await signer.presign(
    {
      method: input.method,
      protocol: "http:",
      hostname: "127.0.0.1",
      port: sandbox.port,
      path,
      headers: { host: `127.0.0.1:${sandbox.port}`, "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD" },
      query: {},
    },
    {
      expiresIn: input.expiresIn ?? 900,
      unsignableHeaders: new Set(["content-type"]),
      ...(input.signingDate ? { signingDate: input.signingDate } : {}),
    },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join("&");
  return `http://127.0.0.1:${sandbox.port}${path}?${query}`;
}

// A policy document as the JSON string AWS APIs take.
export function policyJson(...statements: Array<Record<string, unknown>>): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export interface AssumedSession {
  credentials: Credentials;
  output: AssumeRoleCommandOutput;
}

// Assumes a role through the SDK and returns the temporary credentials.
export async function assumeRole(
  sandbox: SandboxAddress,
  caller: Credentials,
  input: Partial<AssumeRoleCommandInput> & { RoleSessionName: string },
): Promise<AssumedSession> {
  const output = await stsClient(sandbox, caller).send(
    new AssumeRoleCommand({ RoleArn: DEPLOYER, ...input }),
  );
  const c = output.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken)
    throw new Error("AssumeRole returned no credentials");
  return {
    credentials: {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
    },
    output,
  };
}

// What every SDK service exception carries. Code is the error code from the wire: the SDK names a
// modelled exception after its class (NoSuchEntityException) and an unmodelled one after the code.
export interface AwsError extends Error {
  Code?: string;
  $fault?: "client" | "server";
  $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number };
}

// Awaits a call that must fail and returns the SDK's exception.
export async function expectAwsError(call: Promise<unknown>): Promise<AwsError> {
  let result: unknown;
  try {
    result = await call;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as AwsError;
  }
  throw new Error(`expected the call to fail, but it returned ${JSON.stringify(result)}`);
}

// Asserts the error code from the wire (Code, or the name when the body has none, as for S3 HEAD),
// the HTTP status, the request id and, when given, the exact message of an SDK error.
export async function expectError(
  call: Promise<unknown>,
  code: string,
  status: number,
  message?: string | RegExp,
): Promise<AwsError> {
  const error = await expectAwsError(call);
  expect({ code: error.Code ?? error.name, status: error.$metadata?.httpStatusCode }).toEqual({
    code,
    status,
  });
  if (typeof message === "string") expect(error.message).toBe(message);
  else if (message) expect(error.message).toMatch(message);
  expect(error.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  return error;
}

// The smithy Checksum interface over node:crypto (as src/sandbox/sigv4.ts has it).
class NodeSha256 {
  private readonly hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

export interface RawRequest {
  method: string;
  /** The path as sent (already percent-encoded where needed). */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The Host header; defaults to 127.0.0.1:PORT. The request always goes to 127.0.0.1. */
  host?: string;
  service: "sts" | "iam" | "s3";
  credentials: Credentials;
  signingDate?: Date;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

// Signs a request with SigV4 (@smithy/signature-v4) and sends it with node:http to the sandbox.
export async function signedRequest(sandbox: SandboxAddress, raw: RawRequest): Promise<RawResponse> {
  const body = raw.body === undefined ? Buffer.alloc(0) : Buffer.from(raw.body);
  const host = raw.host ?? `127.0.0.1:${sandbox.port}`;
  const signer = new SignatureV4({
    credentials: raw.credentials,
    region: REGION,
    service: raw.service,
    sha256: NodeSha256,
    uriEscapePath: raw.service !== "s3",
    applyChecksum: false,
  });
  const headers: Record<string, string> = { host, ...raw.headers };
  if (raw.service === "s3") headers["x-amz-content-sha256"] = createHash("sha256").update(body).digest("hex");
  const signed = await signer.sign(
    {
      method: raw.method,
      protocol: "http:",
      hostname: host,
      path: raw.path,
      headers,
      query: raw.query ?? {},
      body,
    },
    raw.signingDate ? { signingDate: raw.signingDate } : {},
  );
  const search = new URLSearchParams(raw.query ?? {}).toString();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: sandbox.port,
        method: raw.method,
        path: `${raw.path}${search ? `?${search}` : ""}`,
        headers: { ...(signed.headers as Record<string, string>), "content-length": String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

// A signed STS or IAM Query request (form-encoded body), as the SDK sends it.
export function signedQuery(
  sandbox: SandboxAddress,
  service: "sts" | "iam",
  credentials: Credentials,
  params: Record<string, string>,
): Promise<RawResponse> {
  const version = service === "sts" ? "2011-06-15" : "2010-05-08";
  return signedRequest(sandbox, {
    method: "POST",
    path: "/",
    service,
    credentials,
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body: new URLSearchParams({ Version: version, ...params }).toString(),
  });
}

// The text of the first <Name>…</Name> element of an XML response.
export function xmlText(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

export interface AwsCliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when the command printed JSON (aws s3 presign prints a bare URL). */
  json: unknown;
}

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

// Runs the real AWS CLI against the sandbox with a clean environment (no config, no profile).
// Asynchronous on purpose: the sandbox runs in this process and must keep answering.
export function runAwsCli(
  sandbox: SandboxAddress,
  credentials: Credentials,
  args: string[],
  /** Extra environment, such as AWS_CONFIG_FILE for a profile setting. */
  extraEnv: Record<string, string> = {},
): Promise<AwsCliResult> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: REGION,
    AWS_ENDPOINT_URL: sandbox.endpoint,
    AWS_PAGER: "",
    AWS_MAX_ATTEMPTS: "1",
  };
  if (credentials.sessionToken) env.AWS_SESSION_TOKEN = credentials.sessionToken;
  Object.assign(env, extraEnv);
  return new Promise((resolve, reject) => {
    execFile("aws", [...args, "--output", "json"], { env, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(error);
        return;
      }
      const code = error ? (error.code as number) : 0;
      resolve({ code, stdout, stderr, json: parseJson(stdout) });
    });
  });
}

export interface SandboxProcess extends SandboxAddress {
  child: ChildProcessWithoutNullStreams;
  /** The long-term keys printed as export lines. */
  credentials: Credentials;
  adminToken: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stderr matches (the child writes asynchronously); rejects after timeoutMs. */
  waitForStderr: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>;
  /** Sends the signal and resolves with the exit code and the whole output. */
  stop: (signal: NodeJS.Signals) => Promise<{ code: number | null; stdout: string; stderr: string }>;
}

// Runs `taskaccess sandbox ARGS` as a real process (bin/taskaccess, so `npm run build` first) and
// reads the endpoint, the printed keys and the admin token from its stdout.
export function startSandboxProcess(args: string[], timeoutMs = 15_000): Promise<SandboxProcess> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  env.NO_COLOR = "1";
  delete env.FORCE_COLOR;
  const child = spawn(process.execPath, [BIN, "sandbox", ...args], { cwd: REPO_ROOT, env });
  let stdout = "";
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const poll = <T>(read: () => T | undefined, what: string, ms: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const tick = () => {
        const value = read();
        if (value !== undefined) resolve(value);
        else if (child.exitCode !== null || Date.now() - started > ms) {
          reject(new Error(`${what} did not appear; stdout:\n${stdout}\nstderr:\n${stderr}`));
        } else setTimeout(tick, 20);
      };
      tick();
    });
  const field = (pattern: RegExp) => {
    const value = pattern.exec(stdout)?.[1];
    if (value === undefined) throw new Error(`${pattern} not in the sandbox's stdout:\n${stdout}`);
    return value;
  };
  return poll(
    () => (stdout.includes("Press Ctrl-C to stop.") ? true : undefined),
    "the ready line",
    timeoutMs,
  ).then(
    () => {
      const endpoint = field(/listening on (http:\/\/127\.0\.0\.1:\d+)\n/);
      return {
        child,
        endpoint,
        port: Number(new URL(endpoint).port),
        credentials: {
          accessKeyId: field(/^export AWS_ACCESS_KEY_ID=(\S+)$/m),
          secretAccessKey: field(/^export AWS_SECRET_ACCESS_KEY=(\S+)$/m),
        },
        adminToken: field(/x-taskaccess-sandbox-token: ([0-9a-f]+)$/m),
        stdout: () => stdout,
        stderr: () => stderr,
        waitForStderr: (pattern, ms = 5_000) =>
          poll(() => pattern.exec(stderr) ?? undefined, `stderr matching ${pattern}`, ms),
        stop: async (signal) => {
          child.kill(signal);
          const code = await exited;
          return { code, stdout, stderr };
        },
      };
    },
    (error: unknown) => {
      child.kill("SIGKILL");
      throw error;
    },
  );
}

// A secret that differs from SECRET in its last character (a fixed replacement would leave a
// secret that already ends in it unchanged, about one run in sixty).
export function wrongSecret(secret: string): string {
  return `${secret.slice(0, -1)}${secret.endsWith("x") ? "y" : "x"}`;
}

/** A role of worldForS3(): s3:* on every bucket, assumable by user/base (narrow it with a session policy). */
export const S3_TESTER = `arn:aws:iam::${ACCOUNT}:role/s3-tester`;

// worldWithAdmin() with the buckets given (world-file entries: names or { name, versioning, objectLock })
// in place of the default ones, and role/s3-tester for permission tests on any of them.
export function worldForS3(buckets: WorldBucket[]): World {
  const world = worldWithAdmin();
  const account = world.accounts[0];
  if (!account) throw new Error("the default world has no account");
  account.buckets = buckets;
  account.roles = [
    ...(account.roles ?? []),
    {
      name: "s3-tester",
      trust: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
            Action: ["sts:AssumeRole", "sts:TagSession"],
          },
        ],
      },
      policies: {
        s3: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] },
      },
    },
  ];
  return world;
}

export interface PythonResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// Runs a Python script (boto3 is installed) against the sandbox, with the credentials and endpoint in
// the environment (AWS_ACCESS_KEY_ID …, AWS_ENDPOINT_URL) and no AWS config files. Asynchronous, as
// the sandbox runs in this process.
export function runPython(
  sandbox: SandboxAddress,
  credentials: Credentials,
  script: string,
): Promise<PythonResult> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: REGION,
    AWS_ENDPOINT_URL: sandbox.endpoint,
    AWS_MAX_ATTEMPTS: "1",
  };
  if (credentials.sessionToken) env.AWS_SESSION_TOKEN = credentials.sessionToken;
  return new Promise((resolve, reject) => {
    execFile("python3", ["-c", script], { env, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(error);
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}
