import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TaskAccessError } from "../../src/errors.js";
import { decodeBase32, hotp, totp, totpStep } from "../../src/sandbox/totp.js";
import { loadWorldFile, type World } from "../../src/sandbox/world.js";
import { MFA_SEED, MFA_SEED_BASE32, startTestSandbox, worldWithAdmin } from "../helpers/sandbox.js";

// The sandbox's virtual MFA devices: the TOTP they compute, and how a world file gives them.

const dir = mkdtempSync(join(tmpdir(), "taskaccess-mfa-world-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("TOTP (RFC 6238) and HOTP (RFC 4226)", () => {
  it("computes RFC 6238's SHA-1 test vectors (Appendix B), and their last six digits for six", () => {
    const vectors: Array<[seconds: number, eight: string]> = [
      [59, "94287082"],
      [1111111109, "07081804"],
      [1111111111, "14050471"],
      [1234567890, "89005924"],
      [2000000000, "69279037"],
      [20000000000, "65353130"],
    ];
    for (const [seconds, eight] of vectors) {
      expect(totp(MFA_SEED, seconds * 1000, 8), `T=${seconds}`).toBe(eight);
      expect(totp(MFA_SEED, seconds * 1000), `T=${seconds}`).toBe(eight.slice(2));
    }
    expect(totpStep(59_999)).toBe(1);
    expect(totpStep(60_000)).toBe(2);
  });

  it("computes RFC 4226's HOTP test values (Appendix D)", () => {
    const values = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583"];
    expect(values.map((_, counter) => hotp(MFA_SEED, counter))).toEqual(values);
  });

  it("decodes RFC 4648 base32, with or without padding, and nothing else", () => {
    expect(decodeBase32(MFA_SEED_BASE32)).toEqual(MFA_SEED);
    expect(decodeBase32("MZXW6YQ=")?.toString()).toBe("foob");
    expect(decodeBase32("MZXW6YQ")?.toString()).toBe("foob");
    expect(decodeBase32("mzxw6yq")).toBeUndefined();
    expect(decodeBase32("MZXW6YQ1")).toBeUndefined();
  });
});

describe("mfaDevices in the world", () => {
  const withDevices = (...devices: Array<{ user: number; serial: string; seed: string }>): World => {
    const world = worldWithAdmin();
    const users = world.accounts[0]?.users ?? [];
    for (const { user, serial, seed } of devices) {
      const entry = users[user];
      if (!entry) throw new Error(`no user ${user}`);
      entry.mfaDevices = [...(entry.mfaDevices ?? []), { serial, seed }];
    }
    return world;
  };
  const refusal = (world: World) =>
    startTestSandbox({ world }).then(
      async (sandbox) => {
        await sandbox.close();
        return undefined;
      },
      (caught: unknown) => caught,
    );

  it("gives each device to its user, by serial", async () => {
    const sandbox = await startTestSandbox({
      world: withDevices({ user: 0, serial: "arn:aws:iam::123456789012:mfa/base", seed: MFA_SEED_BASE32 }),
    });
    try {
      const device = sandbox.state.mfaDevices.get("arn:aws:iam::123456789012:mfa/base");
      expect({ user: device?.user.arn, seed: device?.seed }).toEqual({
        user: "arn:aws:iam::123456789012:user/base",
        seed: MFA_SEED,
      });
    } finally {
      await sandbox.close();
    }
  });

  it("refuses a seed shorter than 128 bits or not base32, and a serial two devices share (exit 65)", async () => {
    const short = await refusal(withDevices({ user: 0, serial: "GAHT12345678", seed: "GEZDGNBVGY3TQOJQ" }));
    expect(short).toBeInstanceOf(TaskAccessError);
    expect(short).toMatchObject({
      message: "world: MFA device GAHT12345678: the seed is not base32 of at least 16 bytes",
      exitCode: 65,
    });
    const shared = await refusal(
      withDevices(
        { user: 0, serial: "GAHT12345678", seed: MFA_SEED_BASE32 },
        { user: 1, serial: "GAHT12345678", seed: MFA_SEED_BASE32 },
      ),
    );
    expect(shared).toMatchObject({
      message:
        "world: accounts.0.users.1.mfaDevices.0.serial: GAHT12345678 is the serial of another MFA device",
      exitCode: 65,
    });

    // From a file, the schema checks the seed and the serial's form, naming the file.
    const file = join(dir, "bad-seed.json");
    writeFileSync(
      file,
      JSON.stringify(withDevices({ user: 0, serial: "GAHT12345678", seed: "not base32!" })),
    );
    await expect(loadWorldFile(file)).rejects.toMatchObject({
      message: `world file ${file}: accounts.0.users.0.mfaDevices.0.seed: must be a base32 seed (A-Z, 2-7) of at least 16 bytes (RFC 4226: 128 bits)`,
      exitCode: 65,
    });
    const badSerial = join(dir, "bad-serial.json");
    writeFileSync(
      badSerial,
      JSON.stringify(withDevices({ user: 0, serial: "short", seed: MFA_SEED_BASE32 })),
    );
    await expect(loadWorldFile(badSerial)).rejects.toMatchObject({
      message: `world file ${badSerial}: accounts.0.users.0.mfaDevices.0.serial: Invalid string: must match pattern /^[\\w+=/:,.@-]{9,256}$/`,
      exitCode: 65,
    });
  });
});
