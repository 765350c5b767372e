const WILDCARD = /[*?]/;

/** An ARN split at its first five colons; `resource` keeps any further colons. */
export interface ArnParts {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

// Splits an ARN (or an ARN pattern with wildcards and placeholders); undefined for anything else.
export function parseArn(text: string): ArnParts | undefined {
  const parts = text.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  const [, partition = "", service = "", region = "", account = ""] = parts;
  return { partition, service, region, account, resource: parts.slice(5).join(":") };
}

// The resource part without what only narrows within one resource: a Lambda function's
// qualifier (function:NAME:* is that function's versions and aliases).
export function resourceName(arn: ArnParts): string {
  if (arn.service === "lambda") {
    const qualified = /^function:([^:]+):[^:]*$/.exec(arn.resource);
    if (qualified) return `function:${qualified[1]}`;
  }
  return arn.resource;
}

// Whether a resource reaches beyond one named resource: "*", or a wildcard anywhere but in
// what only narrows within one resource (resourceName).
export function hasBroadWildcard(resource: string): boolean {
  const arn = parseArn(resource);
  if (!arn) return WILDCARD.test(resource);
  return [arn.partition, arn.service, arn.region, arn.account, resourceName(arn)].some((part) =>
    WILDCARD.test(part),
  );
}

// The positions of an ARN pattern whose wildcard matches other accounts', regions' or
// services' whole resources: account, region, an S3 bucket name, a DynamoDB table name.
export function wildcardPositions(resource: string): string[] {
  const arn = parseArn(resource);
  if (!arn) return [];
  const positions: string[] = [];
  if (WILDCARD.test(arn.region)) positions.push("region");
  if (WILDCARD.test(arn.account)) positions.push("account");
  if (arn.service === "s3" && arn.region === "" && WILDCARD.test(arn.resource.split("/")[0] ?? "")) {
    positions.push("bucket name");
  }
  const table = /^table\/([^/]*)/.exec(arn.resource);
  if (arn.service === "dynamodb" && table && WILDCARD.test(table[1] ?? "")) positions.push("table name");
  return positions;
}
