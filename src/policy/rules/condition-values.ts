import { isIP } from "node:net";
import type { ConditionValue } from "../../task/model.js";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const NUMBER = /^-?\d+(?:\.\d+)?$/;
const ARN = /^arn:[^:]*:[^:]*:[^:]*:[^:]*:.+$/;

// The operator without its set prefix (ForAnyValue:) and IfExists suffix: what decides the values.
export function baseOperator(operator: string): string {
  return operator.replace(/^For(?:Any|All)Values:/, "").replace(/IfExists$/, "");
}

// Why a condition value is not one the operator can compare, or undefined when it is (or
// when a {{param}} or ${policy variable} makes it unknowable before the run).
export function conditionValueProblem(operator: string, value: ConditionValue): string | undefined {
  if (typeof value === "string" && /\{\{|\$\{/.test(value)) return undefined;
  const base = baseOperator(operator);
  if (base === "IpAddress" || base === "NotIpAddress") return cidrProblem(value);
  if (base === "Bool" || base === "Null") {
    return value === true || value === false || value === "true" || value === "false"
      ? undefined
      : `${base} takes "true" or "false", not ${JSON.stringify(value)}`;
  }
  if (base.startsWith("Date")) return dateProblem(value);
  if (base.startsWith("Numeric")) {
    return typeof value === "number" || NUMBER.test(String(value))
      ? undefined
      : `${base} takes a number, not ${JSON.stringify(value)}`;
  }
  if (base.startsWith("Arn")) {
    return typeof value === "string" && (value === "*" || ARN.test(value))
      ? undefined
      : `${base} takes an ARN (arn:partition:service:region:account:resource), not ${JSON.stringify(value)}`;
  }
  return undefined;
}

function cidrProblem(value: ConditionValue): string | undefined {
  const text = String(value);
  const [address = "", prefix, ...rest] = text.split("/");
  const version = isIP(address);
  const max = version === 6 ? 128 : 32;
  const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
  if (typeof value === "string" && version !== 0 && prefixOk && rest.length === 0) return undefined;
  return `IpAddress takes an IPv4 or IPv6 address or CIDR range such as 203.0.113.0/24, not ${JSON.stringify(value)}`;
}

function dateProblem(value: ConditionValue): string | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return undefined;
  const text = String(value);
  if (
    typeof value === "string" &&
    (/^\d+$/.test(text) || (ISO_DATE.test(text) && !Number.isNaN(Date.parse(text))))
  ) {
    return undefined;
  }
  return `a date condition takes an ISO 8601 date (2026-12-31T23:59:59Z) or epoch seconds, not ${JSON.stringify(value)}`;
}
