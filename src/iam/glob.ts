// One element of a compiled IAM pattern: a literal character, "*" (any run) or "?" (one character).
export type PatternToken = { kind: "literal"; char: string } | { kind: "any" } | { kind: "one" };

// Turns plain text into literal tokens, so substituted values never act as wildcards.
export function literalTokens(text: string): PatternToken[] {
  return Array.from(text, (char) => ({ kind: "literal", char }) as const);
}

// IAM's "*" and "?" wildcards, without regular expressions so a hostile pattern cannot backtrack badly.
export function matchTokens(tokens: readonly PatternToken[], value: string, ignoreCase: boolean): boolean {
  const chars = Array.from(ignoreCase ? value.toLowerCase() : value);
  const same = (token: PatternToken, char: string | undefined): boolean => {
    if (char === undefined) return false;
    if (token.kind === "one") return true;
    if (token.kind !== "literal") return false;
    return (ignoreCase ? token.char.toLowerCase() : token.char) === char;
  };
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = 0;
  while (s < chars.length) {
    const token = tokens[p];
    if (token !== undefined && token.kind !== "any" && same(token, chars[s])) {
      p++;
      s++;
    } else if (token !== undefined && token.kind === "any") {
      starP = p;
      starS = s;
      p++;
    } else if (starP !== -1) {
      p = starP + 1;
      starS++;
      s = starS;
    } else {
      return false;
    }
  }
  while (tokens[p]?.kind === "any") p++;
  return p === tokens.length;
}

// Glob match of a raw pattern where every "*" and "?" is a wildcard (actions, ARN segments).
export function globMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const tokens = Array.from(pattern, (char): PatternToken => {
    if (char === "*") return { kind: "any" };
    if (char === "?") return { kind: "one" };
    return { kind: "literal", char };
  });
  return matchTokens(tokens, value, ignoreCase);
}
