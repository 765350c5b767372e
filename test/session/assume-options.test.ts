import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { profileMfaSerial } from "../../src/aws/profile-mfa-serial.js";
import { PromptEnded, PromptInterrupted } from "../../src/cli/hidden-input.js";
import { obtainMfaCode, resolveMfaDevice } from "../../src/cli/run-mfa.js";
import { TaskAccessError, UsageError } from "../../src/errors.js";
import { cryptoRandom } from "../../src/sandbox/ids.js";
import { checkMfaCode, checkMfaSerial, MfaCode } from "../../src/session/mfa.js";
import { planRun, type RunRequest } from "../../src/session/plan-run.js";
import { parseTaskFile } from "../../src/task/load-task-file.js";

// The AssumeRole options of `run` before any AWS call: --duration, MFA (--mfa-serial, the
// profile's mfa_serial, --mfa-token or the terminal) and the task's externalId in the plan.

const dir = mkdtempSync(join(tmpdir(), "taskaccess-assume-options-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SERIAL = "arn:aws:iam::123456789012:mfa/alice";

const TASKS = parseTaskFile(
  "taskaccess.yaml",
  `version: 1
tasks:
  deploy:
    role: arn:aws:iam::123456789012:role/deployer
    duration: 1h
    params:
      customer: { pattern: '[0-9]+' }
    externalId: 'acme-{{customer}}'
    allow:
      - actions: [s3:GetObject]
        resources: ['arn:aws:s3:::b/*']
  served:
    role: arn:aws:iam::123456789012:role/deployer
    credentials: server
    allow:
      - actions: [s3:GetObject]
        resources: ['arn:aws:s3:::b/*']
`,
);

const plan = (request: Partial<RunRequest>) =>
  planRun(TASKS, {
    taskName: "deploy",
    params: { customer: "4711" },
    command: ["true"],
    nested: false,
    env: {},
    localUser: "alice",
    random: cryptoRandom,
    ...request,
  });

async function refusal(
  promise: Promise<unknown>,
): Promise<{ name: string; exitCode: number; message: string; hint?: string }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof TaskAccessError)) throw error;
    return {
      name: error.name,
      exitCode: error.exitCode,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
    };
  }
  throw new Error("expected a refusal");
}

describe("run --duration", () => {
  it("plans the task's duration, or a shorter one given", async () => {
    expect((await plan({})).durationSeconds).toBe(3600);
    expect((await plan({ duration: "15m" })).durationSeconds).toBe(900);
    expect((await plan({ duration: "1h" })).durationSeconds).toBe(3600);
  });

  it("refuses a longer one, naming both (exit 64)", async () => {
    expect(await refusal(plan({ duration: "1h1s" }))).toEqual({
      name: "UsageError",
      exitCode: 64,
      message:
        '--duration 1h1s is longer than the duration of task "deploy", 1h: --duration can only shorten it',
      hint: "a longer lifetime is a change to the task's `duration` in the task file",
    });
  });

  it("refuses one below STS's minimum of 900 s, and one that is no duration", async () => {
    expect(await refusal(plan({ duration: "899" }))).toEqual({
      name: "UsageError",
      exitCode: 64,
      message: "--duration 899 is shorter than 15m (900 s), the least STS issues credentials for",
      hint: "give 15m or more, up to the task's duration 1h",
    });
    expect(await refusal(plan({ duration: "1.5h" }))).toEqual({
      name: "UsageError",
      exitCode: 64,
      message: '--duration "1.5h" is not a duration',
      hint: "write it as in the task file: 900, 15m or 1h30m",
    });
  });
});

describe("the plan's externalId and MFA serial", () => {
  it("carries the external id with its parameters filled in, and the serial", async () => {
    const planned = await plan({ mfaSerial: SERIAL });
    expect({ externalId: planned.externalId, mfaSerial: planned.mfaSerial }).toEqual({
      externalId: "acme-4711",
      mfaSerial: SERIAL,
    });
  });

  it("refuses the server delivery with MFA, from the flag or the task (exit 64)", async () => {
    expect(await refusal(plan({ mfaSerial: SERIAL, credentials: "server" }))).toEqual({
      name: "UsageError",
      exitCode: 64,
      message:
        "the server credential delivery (--credentials server) cannot be used with MFA: it re-assumes the role to refresh the credentials, and each AssumeRole needs a new MFA code, which taskaccess cannot ask for while the command runs",
      hint: "use --credentials env or file: the credentials then last the task's duration",
    });
    expect((await refusal(plan({ taskName: "served", params: {}, mfaSerial: SERIAL }))).message).toMatch(
      /^the server credential delivery \(the task's `credentials: server`\) cannot be used with MFA: /,
    );
    // Without MFA the server delivery is planned as before; with MFA, env is.
    expect((await plan({ taskName: "served", params: {} })).credentials).toBe("server");
    expect(
      (await plan({ taskName: "served", params: {}, mfaSerial: SERIAL, credentials: "env" })).credentials,
    ).toBe("env");
  });
});

describe("MFA serial and code", () => {
  it("checks the serial as STS's SerialNumber (9 to 256 of [\\w+=/:,.@-])", () => {
    expect(checkMfaSerial(SERIAL, { kind: "flag" })).toBe(SERIAL);
    expect(checkMfaSerial("GAHT12345678", { kind: "flag" })).toBe("GAHT12345678");
    let caught: unknown;
    try {
      checkMfaSerial("alice mfa", { kind: "profile", profile: "dev", file: "/c" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect(caught).toMatchObject({
      message:
        'mfa_serial of profile "dev" in /c "alice mfa" is not an MFA device serial: STS takes 9 to 256 letters, digits and _+=/:,.@-',
      hint: "give the device's ARN, such as arn:aws:iam::123456789012:mfa/alice, or a hardware device's serial",
    });
    expect(() => checkMfaSerial("12345678", { kind: "flag" })).toThrow(UsageError);
    expect(() => checkMfaSerial(`arn:${"x".repeat(253)}`, { kind: "flag" })).toThrow(UsageError);
  });

  it("checks the code as STS's TokenCode (six digits) and never repeats it", () => {
    expect(checkMfaCode(" 012345 ", "--mfa-token").reveal()).toBe("012345");
    for (const bad of ["12345", "1234567", "12345a", "", "１２３４５６"]) {
      let caught: unknown;
      try {
        checkMfaCode(bad, "--mfa-token");
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect(caught).toMatchObject({
        message: "--mfa-token is not an MFA code: STS takes exactly six digits",
        hint: "give the six digits the MFA device shows now",
      });
    }
  });

  it("holds the code so that it prints as [redacted] everywhere", () => {
    const code = new MfaCode("246810");
    const shown = [
      String(code),
      `${code}`,
      JSON.stringify({ code }),
      inspect(code),
      inspect({ deps: { code } }),
    ];
    expect(shown.join(" ")).not.toContain("246810");
    expect(shown[2]).toBe('{"code":"[redacted]"}');
    expect(code.reveal()).toBe("246810");
  });
});

describe("mfa_serial of the profile in use", () => {
  const config = join(dir, "config");
  writeFileSync(
    config,
    `[default]
mfa_serial = arn:aws:iam::123456789012:mfa/default-user

[profile dev]
region = eu-west-1
mfa_serial = ${SERIAL}

[profile chained]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = dev
mfa_serial = ${SERIAL}

[profile plain]
region = eu-west-1
`,
  );
  const env = (extra: Record<string, string> = {}) => ({ AWS_CONFIG_FILE: config, ...extra });

  it("reads --profile, else AWS_PROFILE, else [default] when no keys are in the environment", async () => {
    expect(await profileMfaSerial("dev", env({ AWS_PROFILE: "plain" }))).toEqual({
      serial: SERIAL,
      profile: "dev",
      file: config,
    });
    expect((await profileMfaSerial(undefined, env({ AWS_PROFILE: "dev" })))?.serial).toBe(SERIAL);
    expect((await profileMfaSerial(undefined, env()))?.serial).toBe(
      "arn:aws:iam::123456789012:mfa/default-user",
    );
    // Keys in the environment are the base identity then, not [default]'s.
    expect(
      await profileMfaSerial(
        undefined,
        env({ AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s" }),
      ),
    ).toBeUndefined();
  });

  it("reads nothing from a profile without one, one that assumes a role itself, or a missing file", async () => {
    expect(await profileMfaSerial("plain", env())).toBeUndefined();
    expect(await profileMfaSerial("chained", env())).toBeUndefined();
    expect(await profileMfaSerial("nowhere", env())).toBeUndefined();
    expect(await profileMfaSerial("dev", { AWS_CONFIG_FILE: join(dir, "missing") })).toBeUndefined();
  });

  it("resolves the device: the flag first, then the profile; --mfa-token alone is refused", async () => {
    const base = { tokenFlag: undefined, profile: "dev", env: env() };
    expect(await resolveMfaDevice({ ...base, serialFlag: "GAHT12345678" })).toEqual({
      serial: "GAHT12345678",
      source: { kind: "flag" },
    });
    expect(await resolveMfaDevice({ ...base, serialFlag: undefined })).toEqual({
      serial: SERIAL,
      source: { kind: "profile", profile: "dev", file: config },
    });
    expect(await resolveMfaDevice({ ...base, serialFlag: undefined, profile: "plain" })).toBeUndefined();
    expect(
      await refusal(
        resolveMfaDevice({ ...base, serialFlag: undefined, profile: "plain", tokenFlag: "123456" }),
      ),
    ).toEqual({
      name: "UsageError",
      exitCode: 64,
      message: "--mfa-token was given, but no MFA device to send it with",
      hint: "name the device with --mfa-serial ARN, or set mfa_serial in the profile (--profile, AWS_PROFILE)",
    });
    // A malformed code is refused first, whatever the device.
    expect(
      (await refusal(resolveMfaDevice({ ...base, serialFlag: undefined, tokenFlag: "12" }))).message,
    ).toBe("--mfa-token is not an MFA code: STS takes exactly six digits");
  });
});

describe("the MFA code", () => {
  const device = {
    serial: SERIAL,
    source: { kind: "profile", profile: "dev", file: "/home/a/.aws/config" },
  } as const;

  it("comes from --mfa-token without asking", async () => {
    const code = await obtainMfaCode(device, "135790", () => Promise.reject(new Error("asked")));
    expect(code.reveal()).toBe("135790");
  });

  it("is asked for on the terminal, with the serial in the prompt", async () => {
    const prompts: string[] = [];
    const code = await obtainMfaCode(device, undefined, async (prompt) => {
      prompts.push(prompt);
      return "864200";
    });
    expect({ code: code.reveal(), prompts }).toEqual({
      code: "864200",
      prompts: [`MFA code for ${SERIAL}: `],
    });
    expect(await refusal(obtainMfaCode(device, undefined, async () => "8642"))).toEqual({
      name: "UsageError",
      exitCode: 64,
      message: "the code entered is not an MFA code: STS takes exactly six digits",
      hint: "give the six digits the MFA device shows now",
    });
  });

  it("fails closed without a terminal (exit 64), saying where the serial came from and what to do", async () => {
    expect(await refusal(obtainMfaCode(device, undefined, undefined))).toEqual({
      name: "UsageError",
      exitCode: 64,
      message: `an MFA code is needed for ${SERIAL} (mfa_serial of profile "dev" in /home/a/.aws/config), and there is no terminal to ask for it`,
      hint: "pass --mfa-token with the six digits the device shows now, or run in a terminal to be asked for them",
    });
  });

  it("turns Ctrl-C at the prompt into an interrupt (exit 130) and Ctrl-D into a usage error", async () => {
    expect(
      await refusal(obtainMfaCode(device, undefined, () => Promise.reject(new PromptInterrupted()))),
    ).toEqual({
      name: "TaskAccessError",
      exitCode: 130,
      message: "interrupted by SIGINT before the command started",
    });
    expect(await refusal(obtainMfaCode(device, undefined, () => Promise.reject(new PromptEnded())))).toEqual({
      name: "UsageError",
      exitCode: 64,
      message: `no MFA code was entered for ${SERIAL}`,
      hint: "run again and type the six digits the device shows",
    });
  });
});
