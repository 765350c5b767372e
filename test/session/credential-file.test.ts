import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeCredentialFiles } from "../../src/session/credential-file.js";

const parent = mkdtempSync(join(tmpdir(), "taskaccess-file-test-"));
afterAll(() => {
  rmSync(parent, { recursive: true, force: true });
});

const credentials = {
  accessKeyId: "ASIAEXAMPLE000000000",
  secretAccessKey: "secret/with+chars",
  sessionToken: "token==",
  expiration: new Date("2026-11-28T12:15:00Z"),
};

describe("the credential files", () => {
  it("writes one profile into two 0600 files in a fresh 0700 directory, and removes them", async () => {
    const exitHooks = process.listeners("exit").length;
    const files = await writeCredentialFiles({ credentials, region: "eu-west-1", sessionId: "abc", parent });
    expect(files.directory).toMatch(new RegExp(`^${parent}/taskaccess-abc-[^/]+$`));
    expect(statSync(files.directory).mode & 0o777).toBe(0o700);
    expect(statSync(files.configFile).mode & 0o777).toBe(0o600);
    expect(statSync(files.credentialsFile).mode & 0o777).toBe(0o600);
    expect(files.variables).toEqual({
      AWS_CONFIG_FILE: files.configFile,
      AWS_SHARED_CREDENTIALS_FILE: files.credentialsFile,
      AWS_PROFILE: "taskaccess",
    });
    expect(readFileSync(files.configFile, "utf8")).toBe(
      "# taskaccess session abc: removed when the run ends; valid until 2026-11-28T12:15:00.000Z\n[profile taskaccess]\nregion = eu-west-1\n",
    );
    expect(readFileSync(files.credentialsFile, "utf8")).toMatch(
      /\n\[taskaccess\]\naws_access_key_id = ASIAEXAMPLE000000000\naws_secret_access_key = secret\/with\+chars\naws_session_token = token==\n$/,
    );
    expect(process.listeners("exit")).toHaveLength(exitHooks + 1);
    await files.remove();
    await files.remove();
    expect(existsSync(files.directory)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
    expect(process.listeners("exit")).toHaveLength(exitHooks);
  });
});
