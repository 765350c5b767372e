import type { AddressInfo } from "node:net";
import { ExitCode, TaskAccessError } from "../errors.js";
import { createAdminHandler } from "./admin.js";
import { createSandboxClock, type SandboxClock } from "./clock.js";
import { DEFAULT_SANDBOX_PORT } from "./defaults.js";
import { FaultPlan } from "./faults.js";
import { cryptoRandom, type RandomSource } from "./ids.js";
import { CallJournal } from "./journal.js";
import { type PropagationSetting, propagationControl } from "./propagation.js";
import { createSandboxServer } from "./server.js";
import { SandboxState } from "./state.js";
import { defaultWorld, type PropagationInput, type World } from "./world.js";

export interface StartSandboxOptions {
  world?: World | undefined;
  /** 0 picks a free port. Default 4566. */
  port?: number | undefined;
  host?: string | undefined;
  clock?: SandboxClock | undefined;
  random?: RandomSource | undefined;
  /** Delay before policy changes reach authorization; overrides the world's `propagation`. */
  propagation?: PropagationInput | undefined;
}

export interface BaseCredentials {
  user: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RunningSandbox {
  endpoint: string;
  port: number;
  state: SandboxState;
  clock: SandboxClock;
  journal: CallJournal;
  faults: FaultPlan;
  /** Token for the /_sandbox/ admin endpoint. */
  adminToken: string;
  /** The long-term keys of every user in the world, first user first. */
  users: BaseCredentials[];
  /** The propagation delay in force (0 and 0 unless set). */
  getPropagation: () => PropagationSetting;
  /** Sets the delay for later policy changes (changes in flight keep theirs); RangeError if out of 0..600000. */
  setPropagation: (setting: PropagationInput) => PropagationSetting;
  close: () => Promise<void>;
}

// Starts the sandbox in-process (tests, `taskaccess demo`) or for `taskaccess sandbox`.
export async function startSandbox(options: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const world = options.world ?? defaultWorld();
  const clock = options.clock ?? createSandboxClock();
  const random = options.random ?? cryptoRandom;
  const state = new SandboxState(world, random, clock.now());
  const propagation = propagationControl(state);
  const initial = options.propagation ?? world.propagation;
  if (initial !== undefined) propagation.set(initial);
  const journal = new CallJournal();
  const faults = new FaultPlan(world.faults ?? {});
  const adminToken = random.bytes(16).toString("hex");
  const server = createSandboxServer({
    state,
    clock,
    journal,
    faults,
    admin: createAdminHandler({ token: adminToken, clock, faults, journal, propagation }),
  });
  const host = options.host ?? "127.0.0.1";
  const requestedPort = options.port ?? DEFAULT_SANDBOX_PORT;
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => reject(listenError(error, requestedPort, host));
    server.once("error", fail);
    server.listen(requestedPort, host, () => {
      server.off("error", fail);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const users: BaseCredentials[] = [];
  for (const record of state.credentials.values()) {
    if (record.kind === "user-key") {
      users.push({
        user: record.user.arn,
        accessKeyId: record.accessKeyId,
        secretAccessKey: record.secretAccessKey,
      });
    }
  }
  return {
    endpoint: `http://${host}:${port}`,
    port,
    state,
    clock,
    journal,
    faults,
    adminToken,
    users,
    getPropagation: propagation.get,
    setPropagation: propagation.set,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// A port or address that cannot be listened on is the user's environment, not a bug: say which and
// what to do (exit 69, EX_UNAVAILABLE), rather than surface a raw EADDRINUSE as an internal error.
function listenError(error: Error, port: number, host: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") {
    return new TaskAccessError(`port ${port} on ${host} is already in use`, {
      exitCode: ExitCode.unavailable,
      hint: "stop what is using it, or choose another with --port N (--port 0 picks a free port)",
      cause: error,
    });
  }
  if (code === "EACCES") {
    return new TaskAccessError(`no permission to listen on port ${port} on ${host}`, {
      exitCode: ExitCode.unavailable,
      hint: "ports below 1024 need privileges; choose another with --port N (--port 0 picks a free port)",
      cause: error,
    });
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
    const why = code === "ENOTFOUND" ? "the name does not resolve" : "not an address of this machine";
    return new TaskAccessError(`cannot listen on ${host}: ${why}`, {
      exitCode: ExitCode.unavailable,
      hint: "use --host 127.0.0.1 (the default) or an address of one of this machine's interfaces",
      cause: error,
    });
  }
  return error;
}
