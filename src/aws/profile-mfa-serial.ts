import { configFilePath, readConfigFile } from "./shared-config-file.js";

type Env = Readonly<Record<string, string | undefined>>;

/** An mfa_serial found, with where it was found (for messages). */
export interface ProfileMfaSerial {
  serial: string;
  profile: string;
  /** The config file it was read from, for messages. */
  file: string;
}

// The `mfa_serial` of the profile the base identity comes from, as aws-vault and Granted read it
// (AWS CLI User Guide, "Using an IAM role in the AWS CLI": mfa_serial is the MFA device to
// authenticate with). The profile is --profile, else AWS_PROFILE, else [default], but only when no
// keys are in the environment: the SDK takes those before [default]. A profile that sets
// `role_arn` is not read: its mfa_serial is for assuming that role, which the SDK does on its own
// while getting the base identity, and a code is good for one AssumeRole.
export async function profileMfaSerial(
  profileFlag: string | undefined,
  env: Env,
): Promise<ProfileMfaSerial | undefined> {
  const profile = profileInUse(profileFlag, env);
  if (profile === undefined) return undefined;
  const section = (await readConfigFile(env))[profile];
  const serial = section?.mfa_serial?.trim();
  if (!serial || section?.role_arn) return undefined;
  return { serial, profile, file: configFilePath(env) };
}

function profileInUse(flag: string | undefined, env: Env): string | undefined {
  if (flag) return flag;
  if (env.AWS_PROFILE) return env.AWS_PROFILE;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return undefined;
  return "default";
}
