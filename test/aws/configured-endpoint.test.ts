import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configuredEndpoint, endpointFromProfile } from "../../src/aws/configured-endpoint.js";

// The order the AWS SDKs resolve a service's endpoint in (AWS SDKs and Tools Reference Guide,
// "Service-specific endpoints"), with the profile from --profile as much as from AWS_PROFILE.

const dir = mkdtempSync(join(tmpdir(), "taskaccess-endpoints-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const configPath = join(dir, "config");
writeFileSync(
  configPath,
  `[default]
endpoint_url = http://default-profile:1

[profile ci]
endpoint_url = http://ci-global:2
services = ci-services

[profile ignoring]
endpoint_url = http://ignored:3
ignore_configured_endpoint_urls = true

[services ci-services]
iam =
  endpoint_url = http://ci-iam:4
`,
);
const env = (extra: Record<string, string | undefined> = {}) => ({
  AWS_CONFIG_FILE: configPath,
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  ...extra,
});

describe("configuredEndpoint", () => {
  it("takes AWS_ENDPOINT_URL_<SERVICE> over AWS_ENDPOINT_URL over the profile", async () => {
    const all = env({ AWS_ENDPOINT_URL_IAM: "http://env-iam:5", AWS_ENDPOINT_URL: "http://env:6" });
    expect(await configuredEndpoint("IAM", { env: all })).toBe("http://env-iam:5");
    expect(await configuredEndpoint("STS", { env: all })).toBe("http://env:6");
  });

  it("reads the profile's services section for its service, else its endpoint_url", async () => {
    expect(await configuredEndpoint("IAM", { env: env(), profile: "ci" })).toBe("http://ci-iam:4");
    expect(await configuredEndpoint("STS", { env: env(), profile: "ci" })).toBe("http://ci-global:2");
  });

  it("treats --profile NAME and AWS_PROFILE=NAME the same, and falls back to the default profile", async () => {
    expect(await configuredEndpoint("IAM", { env: env({ AWS_PROFILE: "ci" }) })).toBe("http://ci-iam:4");
    expect(await configuredEndpoint("IAM", { env: env({ AWS_PROFILE: "other" }), profile: "ci" })).toBe(
      "http://ci-iam:4",
    );
    expect(await configuredEndpoint("IAM", { env: env() })).toBe("http://default-profile:1");
  });

  it("ignores every configured endpoint when told to, in the environment or in the profile", async () => {
    const ignoring = env({ AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true", AWS_ENDPOINT_URL: "http://env:6" });
    expect(await configuredEndpoint("STS", { env: ignoring, profile: "ci" })).toBeUndefined();
    expect(await configuredEndpoint("STS", { env: env(), profile: "ignoring" })).toBeUndefined();
  });

  it("is undefined for a profile that is not there or a config file that cannot be read", async () => {
    expect(await configuredEndpoint("IAM", { env: env(), profile: "nosuch" })).toBeUndefined();
    expect(
      await configuredEndpoint("IAM", { env: { AWS_CONFIG_FILE: join(dir, "missing") }, profile: "ci" }),
    ).toBeUndefined();
  });

  it("reads a parsed config file as the SDK's loader returns it", () => {
    const config = {
      p: { services: "s", endpoint_url: "http://p" },
      "services.s": { "sts.endpoint_url": "http://s" },
    };
    expect(endpointFromProfile("STS", config, "p")).toBe("http://s");
    expect(endpointFromProfile("IAM", config, "p")).toBe("http://p");
  });
});
