import { timingSafeEqual } from "node:crypto";
import * as z from "zod/mini";
import { useEnglishZodMessages } from "../util/zod-messages.js";
import type { SandboxClock } from "./clock.js";
import { ADMIN_TOKEN_HEADER } from "./defaults.js";
import type { FaultPlan } from "./faults.js";
import type { CallJournal } from "./journal.js";
import type { PropagationControl } from "./propagation.js";
import type { SandboxRequest, SandboxResponse } from "./request.js";
import { faultScripts, propagationSetting } from "./world.js";

// The local admin endpoint for tests in another process: faults, the clock, the journal and the
// propagation delay. It answers only requests that carry the token printed when the sandbox starts.
export function createAdminHandler(parts: {
  token: string;
  clock: SandboxClock;
  faults: FaultPlan;
  journal: CallJournal;
  propagation: PropagationControl;
}): (request: SandboxRequest) => Promise<SandboxResponse> {
  return async (request) => {
    const given = Buffer.from(request.headers[ADMIN_TOKEN_HEADER] ?? "");
    const expected = Buffer.from(parts.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return json(403, { error: `the admin endpoint needs the ${ADMIN_TOKEN_HEADER} header` });
    }
    const route = `${request.method} ${request.path}`;
    switch (route) {
      case "GET /_sandbox/health":
        return json(200, { ok: true, now: new Date(parts.clock.now()).toISOString() });
      case "GET /_sandbox/journal":
        return json(200, { entries: parts.journal.find() });
      case "GET /_sandbox/faults":
        return json(200, parts.faults.describe());
      case "POST /_sandbox/faults": {
        const body = readBody(request, faultScripts);
        if (!body.ok) return json(400, { error: body.error });
        for (const [operation, steps] of Object.entries(body.value)) parts.faults.set(operation, steps);
        return json(200, parts.faults.describe());
      }
      case "DELETE /_sandbox/faults":
        parts.faults.clear();
        return json(200, {});
      case "POST /_sandbox/clock": {
        const body = readBody(request, clockMove);
        if (!body.ok) return json(400, { error: body.error });
        parts.clock.advance((body.value.advanceSeconds ?? 0) * 1000);
        return json(200, { now: new Date(parts.clock.now()).toISOString() });
      }
      case "GET /_sandbox/propagation":
        return json(200, parts.propagation.get());
      case "POST /_sandbox/propagation": {
        const body = readBody(request, propagationSetting);
        if (!body.ok) return json(400, { error: body.error });
        return json(200, parts.propagation.set(body.value));
      }
      default:
        return json(404, { error: `no admin route ${route}` });
    }
  };
}

const clockMove = z.strictObject({ advanceSeconds: z.optional(z.number()) });

type BodyResult<T> = { ok: true; value: T } | { ok: false; error: string };

// Parses and checks a JSON body; a malformed or ill-shaped one is the caller's mistake (400), not ours.
function readBody<T>(request: SandboxRequest, schema: z.ZodMiniType<T>): BodyResult<T> {
  const text = request.body.toString("utf8");
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : (JSON.parse(text) as unknown);
  } catch (error) {
    return {
      ok: false,
      error: `the body is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  useEnglishZodMessages();
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return { ok: false, error: `the body is not valid: ${where}${issue?.message ?? "invalid"}` };
}

function json(status: number, value: unknown): SandboxResponse {
  return { status, headers: { "content-type": "application/json" }, body: `${JSON.stringify(value)}\n` };
}
