import { describe, expect, it } from "vitest";
import {
  assertNoSecrets,
  chainEvent,
  GENESIS_PREV,
  SESSION_EVENT_TYPES,
  type SessionEvent,
  SessionLogError,
} from "../../src/audit/index.js";
import { ExitCode } from "../../src/errors.js";
import { sessionEvents } from "./fixtures/events.js";

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("session events", () => {
  it("lists the ten event types in the order a session writes them", () => {
    expect(SESSION_EVENT_TYPES).toEqual([
      "session.start",
      "revocation.ready",
      "credentials.issued",
      "revocation.armed",
      "process.start",
      "session.lease",
      "process.exit",
      "session.revoked",
      "revocation.failed",
      "session.end",
    ]);
    expect(sessionEvents().map((event) => event.event)).toEqual([...SESSION_EVENT_TYPES]);
  });

  it("lets every real event through the secret guard", () => {
    for (const event of sessionEvents()) expect(() => assertNoSecrets(event)).not.toThrow();
  });

  it.each([
    [{ secretAccessKey: "x" }, "secretAccessKey"],
    [{ credentials: { SessionToken: "x" } }, "credentials.SessionToken"],
    [{ env: [{ ok: 1 }, { AWS_SECRET_ACCESS_KEY: "x" }] }, "env[1].AWS_SECRET_ACCESS_KEY"],
    [{ nested: { tags: { "aws-session-token": "x" } } }, "nested.tags.aws-session-token"],
    [{ SecretAccessKey: "x" }, "SecretAccessKey"],
    [{ a: { b: { sessionToken: null } } }, "a.b.sessionToken"],
  ])("refuses a secret-named key anywhere: %j", (value, path) => {
    const error = caught(() => assertNoSecrets(value));
    expect(error).toBeInstanceOf(SessionLogError);
    expect((error as SessionLogError).exitCode).toBe(ExitCode.internal);
    expect((error as SessionLogError).message).toBe(
      `refusing to write a secret to the session log: field ${path}`,
    );
    expect((error as SessionLogError).hint).toBe(
      "this is a bug in taskaccess; please report it with the command you ran",
    );
  });

  it("lets the task file's own names through: a parameter or tag may be called secret_key", () => {
    // Their values are in the session policy and on STS already; only the key looks like a secret.
    expect(() =>
      assertNoSecrets({ params: { secret_key: "v1" }, tags: { "session-token": "t" } }),
    ).not.toThrow();
  });

  it("puts v, seq and prev first and returns the record as written", () => {
    const event = sessionEvents()[4] as SessionEvent;
    const { record, text } = chainEvent({ ...event, ci: undefined }, 1, GENESIS_PREV);
    expect(text.startsWith(`{"v":1,"seq":1,"prev":"${GENESIS_PREV}","event":"process.start",`)).toBe(true);
    expect(Object.hasOwn(record, "ci")).toBe(false);
    expect(record).toEqual({ v: 1, seq: 1, prev: GENESIS_PREV, ...event });
  });

  it("refuses an event that sets a chain field or has an unknown type", () => {
    const event = sessionEvents()[0] as SessionEvent;
    expect(() => chainEvent({ ...event, seq: 9 } as unknown as SessionEvent, 1, GENESIS_PREV)).toThrow(
      "refusing to log a session.start event that sets the chain field seq",
    );
    expect(() =>
      chainEvent({ ...event, event: "session.pause" } as unknown as SessionEvent, 1, GENESIS_PREV),
    ).toThrow('refusing to log an unknown event type "session.pause"');
  });
});
