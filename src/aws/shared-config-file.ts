import { homedir } from "node:os";
import { join } from "node:path";

type Env = Readonly<Record<string, string | undefined>>;

/** The shared config file parsed: profile name ("default", "dev", "services.x") → its settings. */
export type ConfigFile = Record<string, Record<string, string | undefined> | undefined>;

// The shared config file the SDKs read: AWS_CONFIG_FILE, else ~/.aws/config (for messages).
export function configFilePath(env: Env): string {
  return env.AWS_CONFIG_FILE || join(homedir(), ".aws", "config");
}

// The shared config file as the SDK parses it; one that cannot be read is no config file, as for
// the SDK.
export async function readConfigFile(env: Env): Promise<ConfigFile> {
  const { loadSharedConfigFiles } = await import("@smithy/core/config");
  try {
    const files = await loadSharedConfigFiles({
      ...(env.AWS_CONFIG_FILE ? { configFilepath: env.AWS_CONFIG_FILE } : {}),
      ...(env.AWS_SHARED_CREDENTIALS_FILE ? { filepath: env.AWS_SHARED_CREDENTIALS_FILE } : {}),
      ignoreCache: true,
    });
    return files.configFile as ConfigFile;
  } catch {
    return {};
  }
}
