import type { Finding } from "./finding.js";
import type { RenderedPolicy } from "./render-policy.js";

// STS AssumeRole: "The plaintext that you use for both inline and managed session policies can't
// exceed 2,048 characters" (AWS STS API Reference, AssumeRole, Policy; botocore
// sts/2011-06-15 sessionPolicyDocumentType max 2048).
export const SESSION_POLICY_MAX_CHARACTERS = 2048;

export interface PolicySize {
  characters: number;
  limit: number;
  /** Share of the limit used, rounded to a whole percent. */
  percent: number;
}

// Measures a rendered policy against the STS limit.
export function measurePolicy(rendered: RenderedPolicy): PolicySize {
  const characters = rendered.json.length;
  return {
    characters,
    limit: SESSION_POLICY_MAX_CHARACTERS,
    percent: Math.round((characters / SESSION_POLICY_MAX_CHARACTERS) * 100),
  };
}

// Refuses a policy STS would refuse, naming the statements that take the most room.
export function checkPolicySize(rendered: RenderedPolicy): Finding[] {
  const findings: Finding[] = [];
  const size = measurePolicy(rendered);
  if (size.characters > size.limit) {
    const biggest = rendered.document.Statement.map((statement, index) => ({
      index,
      length: JSON.stringify(statement).length,
    }))
      .sort((a, b) => b.length - a.length)
      .slice(0, 3);
    const names = biggest.map(
      (entry) => `${describeStatementPath(rendered, entry.index)} (${entry.length} characters)`,
    );
    findings.push({
      rule: "policy-too-large",
      severity: "error",
      message: `the session policy is ${size.characters} characters, over the STS limit of ${size.limit} (${size.percent}%); biggest statements: ${names.join(", ")}`,
      why: "STS rejects a longer inline session policy, so the task could never run",
      hint: "merge statements, use a wildcard within a prefix the task owns, or split the task in two",
      path: rendered.statementPaths[biggest[0]?.index ?? 0],
    });
  }
  if (!isSessionPolicyCharset(rendered.json)) {
    findings.push({
      rule: "policy-charset",
      severity: "error",
      message:
        "the session policy contains characters outside tab, line feed, carriage return and U+0020..U+00FF",
      why: "STS accepts only those characters in a session policy",
    });
  }
  return findings;
}

function describeStatementPath(rendered: RenderedPolicy, index: number): string {
  const path = rendered.statementPaths[index];
  if (!path) return `statement ${index}`;
  return `${String(path[2])}[${String(path[3])}]`;
}

// botocore sessionPolicyDocumentType pattern: [\u0009\u000A\u000D\u0020-\u00FF]+
function isSessionPolicyCharset(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!(code === 0x09 || code === 0x0a || code === 0x0d || (code >= 0x20 && code <= 0xff))) return false;
  }
  return true;
}
