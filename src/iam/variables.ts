import type { RequestContext } from "./context.js";
import { literalTokens, type PatternToken } from "./glob.js";

export interface CompileOptions {
  // Treat "*" and "?" as wildcards (StringLike, ArnLike, Resource) or as literal characters.
  wildcards: boolean;
  // Resolve ${...} policy variables; false for 2008-10-17 policies, where they are literal text.
  variables: boolean;
}

// Inside ${...}: a key, optionally followed by ", 'default'" where '' stands for one quote.
const VARIABLE_BODY = /^\s*([^\s,']+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$/;

const ESCAPES: Readonly<Record<string, string>> = { "*": "*", "?": "?", $: "$" };

// A variable resolves only to a single-valued key present in the request; otherwise its default.
function resolveVariable(body: string, context: RequestContext): string | undefined {
  const escaped = ESCAPES[body];
  if (escaped !== undefined) return escaped;
  const parsed = VARIABLE_BODY.exec(body);
  if (parsed === null) return undefined;
  const key = parsed[1] ?? "";
  const value = context.get(key);
  if (typeof value === "string") return value;
  const fallback = parsed[2];
  return fallback === undefined ? undefined : fallback.replaceAll("''", "'");
}

// undefined when a variable cannot be resolved: IAM then treats the element it appears in as not matching.
export function compilePattern(
  template: string,
  context: RequestContext,
  options: CompileOptions,
): PatternToken[] | undefined {
  const tokens: PatternToken[] = [];
  let i = 0;
  while (i < template.length) {
    if (options.variables && template.startsWith("${", i)) {
      const end = template.indexOf("}", i + 2);
      if (end !== -1) {
        const resolved = resolveVariable(template.slice(i + 2, end), context);
        if (resolved === undefined) return undefined;
        tokens.push(...literalTokens(resolved));
        i = end + 1;
        continue;
      }
    }
    const char = String.fromCodePoint(template.codePointAt(i) ?? 0);
    if (options.wildcards && char === "*") tokens.push({ kind: "any" });
    else if (options.wildcards && char === "?") tokens.push({ kind: "one" });
    else tokens.push({ kind: "literal", char });
    i += char.length;
  }
  return tokens;
}

// Resolves variables to a plain string (no wildcards), e.g. for Bool values; undefined if unresolvable.
export function resolveString(
  template: string,
  context: RequestContext,
  variables: boolean,
): string | undefined {
  const tokens = compilePattern(template, context, { wildcards: false, variables });
  return tokens?.map((token) => (token.kind === "literal" ? token.char : "")).join("");
}
