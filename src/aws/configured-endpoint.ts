// Service endpoints as the AWS SDKs resolve them from the environment and the shared config file
// (AWS SDKs and Tools Reference Guide, "Service-specific endpoints"): AWS_ENDPOINT_URL_<SERVICE>,
// then AWS_ENDPOINT_URL, then the profile's `services` section (`<service> = endpoint_url = …`),
// then the profile's `endpoint_url`; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's
// `ignore_configured_endpoint_urls` turns all of them off. The SDK for JavaScript does this itself
// but reads the profile from AWS_PROFILE only, so a client given `profile: NAME` would miss that
// profile's endpoint; resolving here makes `--profile NAME` and `AWS_PROFILE=NAME` the same.

import { type ConfigFile, readConfigFile } from "./shared-config-file.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The services taskaccess calls, by their SDK service id (botocore/data/<service>/…/service-2.json serviceId). */
export type EndpointService = "IAM" | "STS" | "S3";

export interface EndpointSources {
  env: Env;
  /** `--profile`; else AWS_PROFILE; else "default", as the SDK picks it. */
  profile?: string | undefined;
  /** The parsed shared config file; read from AWS_CONFIG_FILE or ~/.aws/config when absent. */
  configFile?: ConfigFile | undefined;
}

// The endpoint configured for a service, or undefined for the SDK's own (the region's) endpoint.
export async function configuredEndpoint(
  service: EndpointService,
  sources: EndpointSources,
): Promise<string | undefined> {
  const { env } = sources;
  if (isTrue(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)) return undefined;
  const fromEnv = env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL;
  if (fromEnv) return fromEnv;
  const config = sources.configFile ?? (await readConfigFile(env));
  return endpointFromProfile(service, config, sources.profile || env.AWS_PROFILE || "default");
}

// The profile's part: its services section first, then its own endpoint_url.
export function endpointFromProfile(
  service: EndpointService,
  config: ConfigFile,
  profileName: string,
): string | undefined {
  const profile = config[profileName];
  if (!profile || isTrue(profile.ignore_configured_endpoint_urls)) return undefined;
  const section = profile.services === undefined ? undefined : config[`services.${profile.services}`];
  return section?.[`${service.toLowerCase()}.endpoint_url`] || profile.endpoint_url || undefined;
}

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === "true";
}
