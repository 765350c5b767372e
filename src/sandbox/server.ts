import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { SandboxClock } from "./clock.js";
import { SandboxError } from "./errors.js";
import type { FaultPlan } from "./faults.js";
import type { HandlerContext } from "./handler-context.js";
import { handleIam, IAM_NAMESPACE } from "./iam.js";
import type { CallJournal, JournalEntry } from "./journal.js";
import { callerIdentity } from "./principal.js";
import { queryError, readQueryParams } from "./query-protocol.js";
import type { SandboxRequest, SandboxResponse } from "./request.js";
import { handleS3, resolveS3Target, s3Error, s3OperationName } from "./s3.js";
import { parseSignature, verifySignature } from "./sigv4.js";
import type { SandboxState } from "./state.js";
import { handleSts, STS_NAMESPACE } from "./sts.js";

/** Largest request body accepted (S3 PutObject in memory); larger is EntityTooLarge. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface SandboxServerOptions {
  state: SandboxState;
  clock: SandboxClock;
  journal: CallJournal;
  faults: FaultPlan;
  /** Answers /_sandbox/ admin requests; undefined when the admin endpoint is off. */
  admin?: ((request: SandboxRequest) => Promise<SandboxResponse>) | undefined;
}

type Service = "sts" | "iam" | "s3";

// An HTTP server that speaks STS, IAM (Query protocol) and S3 (REST-XML) on one port, telling
// them apart by the SigV4 credential scope as AWS endpoints do.
export function createSandboxServer(options: SandboxServerOptions): Server {
  return createServer((req, res) => {
    handle(options, req, res).catch((error: unknown) => {
      // A bug in the sandbox: answer 500 rather than hang the client.
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`sandbox internal error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
}

async function handle(
  options: SandboxServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const requestId = options.state.random.uuid();
  const body = await readBody(req);
  if (body === undefined) {
    send(res, requestId, {
      status: 413,
      headers: { "content-type": "application/xml" },
      body: "<Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed size</Message></Error>",
    });
    return;
  }
  const url = new URL(req.url ?? "/", "http://sandbox");
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = value;
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const request: SandboxRequest = {
    method: req.method ?? "GET",
    path: (req.url ?? "/").split("?")[0] ?? "/",
    query,
    headers,
    body,
    sourceIp: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
    requestId,
  };
  if (request.path.startsWith("/_sandbox/")) {
    const response = options.admin
      ? await options.admin(request)
      : { status: 404, headers: {}, body: "the admin endpoint is off" };
    send(res, requestId, response);
    return;
  }
  const outcome = await dispatch(options, request, res);
  if (outcome) send(res, requestId, outcome);
}

async function dispatch(
  options: SandboxServerOptions,
  request: SandboxRequest,
  res: ServerResponse,
): Promise<SandboxResponse | undefined> {
  const { state, clock, journal } = options;
  const entry: JournalEntry = {
    time: new Date(clock.now()).toISOString(),
    requestId: request.requestId,
    service: "unknown",
    operation: "unknown",
    decision: "error",
    status: 0,
  };
  let service: Service = guessService(request);
  /** Set once the key, the signature and the session are checked: only then can a call be denied. */
  let authenticated = false;
  let operation = "unknown";
  const s3Target = resolveS3Target(request);
  const respond = (response: SandboxResponse) => {
    entry.status = response.status;
    journal.add(entry);
    return response;
  };
  try {
    const claim = parseSignature(request);
    service = toService(claim.service);
    entry.service = service;
    const params = service === "s3" ? {} : readQueryParams(request);
    operation = service === "s3" ? s3OperationName(request, s3Target) : (params.Action ?? "unknown");
    entry.operation = operation;
    entry.accessKeyId = claim.accessKeyId;
    const fault = options.faults.next(`${service}:${operation}`);
    if (fault !== undefined) {
      if (typeof fault === "object") {
        await sleep(fault.delayMs);
      } else if (fault === "drop") {
        entry.decision = "fault";
        entry.reason = "connection dropped by fault injection";
        journal.add(entry);
        res.socket?.destroy();
        return undefined;
      } else {
        entry.decision = "fault";
        entry.reason = `fault injection: ${fault}`;
        throw faultError(fault, service);
      }
    }
    const record = state.credentials.get(claim.accessKeyId);
    if (!record) throw unknownKey(service);
    if (record.kind === "session" && claim.sessionToken !== record.sessionToken) throw invalidToken(service);
    await verifySignature(
      request,
      claim,
      record.secretAccessKey,
      clock.now(),
      clock.clientNow?.() ?? clock.now(),
    );
    if (record.kind === "session" && clock.now() >= record.expiration) throw expiredToken(service);
    authenticated = true;
    const caller = callerIdentity(record);
    entry.principal = caller.arn;
    const ctx: HandlerContext = {
      state,
      clock,
      request,
      caller,
      facts: { now: clock.now(), region: claim.region, sourceIp: request.sourceIp },
      // The first authorization names the call (AssumeRole's, before sts:TagSession and
      // sts:SetSourceIdentity); a later one replaces it only when it denies, being then the reason.
      note: (note) => {
        if (entry.action !== undefined && note.decision === "allow") return;
        entry.action = note.action;
        entry.resource = note.resource;
        entry.decision = note.decision;
        entry.reason = note.reason;
      },
    };
    const response =
      service === "sts"
        ? handleSts(ctx, operation, params)
        : service === "iam"
          ? handleIam(ctx, operation, params)
          : handleS3(ctx, operation, s3Target);
    if (entry.decision === "error") entry.decision = "allow";
    return respond(response);
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    entry.errorCode = error.code;
    if (entry.decision === "fault") {
      // The fault's own reason stays: it says the error was injected.
    } else if (authenticated && error.code === "AccessDenied") {
      // A denial after authentication: the handler's noted reason (the evaluator's) when it has one.
      if (entry.decision !== "deny" || entry.reason === undefined) entry.reason = error.message;
      entry.decision = "deny";
    } else {
      // Authentication failures (SignatureDoesNotMatch, InvalidClientTokenId, ExpiredToken, an expired
      // presigned URL …) and every other error: not an authorization decision.
      entry.reason = error.message;
      entry.decision = "error";
    }
    if (service === "s3") return respond(s3Error(error, request.requestId, request.method === "HEAD"));
    return respond(queryError(service === "iam" ? IAM_NAMESPACE : STS_NAMESPACE, error, request.requestId));
  }
}

function toService(scope: string): Service {
  if (scope === "sts" || scope === "iam" || scope === "s3") return scope;
  throw new SandboxError(
    "InvalidAction",
    400,
    `The taskaccess sandbox does not emulate the ${scope} service.`,
  );
}

// For an unsigned request there is no credential scope: an Action parameter means a Query service.
function guessService(request: SandboxRequest): Service {
  const text = request.body.toString("latin1", 0, Math.min(request.body.length, 4096));
  if (request.query.Action !== undefined || /(^|&)Action=/.test(text)) {
    return /(^|&)Version=2010-05-08/.test(text) || request.query.Version === "2010-05-08" ? "iam" : "sts";
  }
  return "s3";
}

function faultError(fault: string, service: Service): SandboxError {
  if (fault === "Throttling") {
    return service === "s3"
      ? new SandboxError("SlowDown", 503, "Please reduce your request rate.")
      : new SandboxError("Throttling", 400, "Rate exceeded");
  }
  if (fault === "ServiceUnavailable") {
    return new SandboxError("ServiceUnavailable", 503, "The service is unavailable. Please try again later.");
  }
  return new SandboxError(
    service === "s3" ? "InternalError" : "InternalFailure",
    500,
    "We encountered an internal error. Please try again.",
  );
}

function unknownKey(service: Service): SandboxError {
  return service === "s3"
    ? new SandboxError(
        "InvalidAccessKeyId",
        403,
        "The AWS Access Key Id you provided does not exist in our records.",
      )
    : new SandboxError("InvalidClientTokenId", 403, "The security token included in the request is invalid.");
}

function invalidToken(service: Service): SandboxError {
  return service === "s3"
    ? new SandboxError("InvalidToken", 400, "The provided token is malformed or otherwise invalid.")
    : new SandboxError("InvalidClientTokenId", 403, "The security token included in the request is invalid.");
}

function expiredToken(service: Service): SandboxError {
  return service === "s3"
    ? new SandboxError("ExpiredToken", 400, "The provided token has expired.")
    : new SandboxError("ExpiredToken", 403, "The security token included in the request is expired");
}

function send(res: ServerResponse, requestId: string, response: SandboxResponse): void {
  const body = typeof response.body === "string" ? Buffer.from(response.body, "utf8") : response.body;
  res.writeHead(response.status, {
    "x-amzn-requestid": requestId,
    "x-amz-request-id": requestId,
    ...(response.headers["content-length"] === undefined ? { "content-length": String(body.length) } : {}),
    ...response.headers,
  });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
