import { homedir } from "node:os";
import { join } from "node:path";

type Env = Readonly<Record<string, string | undefined>>;

// When the SDK found no credentials and a profile was named (--profile or AWS_PROFILE) that neither
// shared file defines, the hint that says so: "set AWS_PROFILE or use --profile" would mislead.
export async function missingProfileHint(profile: string | undefined, env: Env): Promise<string | undefined> {
  const name = profile || env.AWS_PROFILE;
  if (!name) return undefined;
  const configPath = env.AWS_CONFIG_FILE || join(homedir(), ".aws", "config");
  const credentialsPath = env.AWS_SHARED_CREDENTIALS_FILE || join(homedir(), ".aws", "credentials");
  const { loadSharedConfigFiles } = await import("@smithy/core/config");
  try {
    const files = await loadSharedConfigFiles({
      configFilepath: configPath,
      filepath: credentialsPath,
      ignoreCache: true,
    });
    if (files.configFile[name] || files.credentialsFile[name]) return undefined;
  } catch {
    // Unreadable files define no profile, as for the SDK.
  }
  const source = profile ? "--profile" : "AWS_PROFILE";
  return `profile "${name}" (${source}) was not found in the config file ${configPath} or the credentials file ${credentialsPath}; \`aws configure list-profiles\` lists the profiles there`;
}
