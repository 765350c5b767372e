// The six colon-separated parts of an ARN; the resource part may itself contain colons and slashes.
export interface ArnParts {
  prefix: string;
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

// Splits at the first five colons only, because everything after them belongs to the resource part.
export function splitArn(value: string): ArnParts | undefined {
  const parts: string[] = [];
  let rest = value;
  for (let i = 0; i < 5; i++) {
    const colon = rest.indexOf(":");
    if (colon === -1) return undefined;
    parts.push(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  const [prefix = "", partition = "", service = "", region = "", account = ""] = parts;
  return { prefix, partition, service, region, account, resource: rest };
}

// Policy ARNs with fewer than six parts are padded with "*" (as IAM policy tooling expands them).
export function splitPolicyArn(value: string): ArnParts | undefined {
  const full = splitArn(value);
  if (full !== undefined) return full;
  const parts = value.split(":");
  if (parts[0]?.toLowerCase() !== "arn") return undefined;
  while (parts.length < 6) parts.push("*");
  return splitArn(parts.join(":"));
}

// Cross-account checks need the resource's account; S3 bucket and object ARNs name none (undefined).
export function arnAccount(value: string): string | undefined {
  const account = splitArn(value)?.account;
  return account === undefined || account === "" ? undefined : account;
}
