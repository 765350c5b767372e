const CLASS_ESCAPES = new Set([
  "d",
  "D",
  "w",
  "W",
  "s",
  "S",
  "b",
  "B",
  "p",
  "P",
  "u",
  "x",
  "c",
  "k",
  "n",
  "r",
  "t",
  "f",
  "v",
  "0",
]);
const METACHARACTERS = new Set(["^", "$", ".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "\\"]);

// The characters a regular expression names literally (escaped, listed in a class, or plain),
// so that "the pattern explicitly allows *" can be decided without trusting `.` or `\S`.
export function explicitLiterals(pattern: string): Set<string> {
  const literals = new Set<string>();
  let i = 0;
  while (i < pattern.length) {
    const char = pattern[i] ?? "";
    if (char === "\\") {
      const escaped = readEscape(pattern, i);
      if (escaped.literal !== undefined) literals.add(escaped.literal);
      i = escaped.end;
      continue;
    }
    if (char === "[") {
      i = readClass(pattern, i + 1, literals);
      continue;
    }
    if (!METACHARACTERS.has(char)) literals.add(char);
    i += 1;
  }
  return literals;
}

function readClass(pattern: string, start: number, literals: Set<string>): number {
  let i = start;
  const negated = pattern[i] === "^";
  if (negated) i += 1;
  const members: string[] = [];
  while (i < pattern.length && pattern[i] !== "]") {
    const char = pattern[i] ?? "";
    if (char === "\\") {
      const escaped = readEscape(pattern, i);
      if (escaped.literal !== undefined) members.push(escaped.literal);
      i = escaped.end;
      continue;
    }
    // A range such as " -~" covers characters without naming them: skip both ends.
    if (pattern[i + 1] === "-" && pattern[i + 2] !== undefined && pattern[i + 2] !== "]") {
      i += 3;
      continue;
    }
    members.push(char);
    i += 1;
  }
  if (!negated) for (const member of members) literals.add(member);
  return i + 1;
}

// One escape starting at the backslash at START: the character it names, if it names exactly one,
// and where it ends. A property escape (\p{Symbol}) or a class escape (\S) names none, and its
// braces are part of the escape, not characters; \u{7B}, \u007B and \x7B name "{".
function readEscape(pattern: string, start: number): { literal?: string; end: number } {
  const next = pattern[start + 1];
  if (next === undefined) return { end: start + 1 };
  if ((next === "p" || next === "P") && pattern[start + 2] === "{") {
    const close = pattern.indexOf("}", start + 3);
    return { end: close === -1 ? pattern.length : close + 1 };
  }
  const hex =
    next === "u" && pattern[start + 2] === "{"
      ? /^\{([0-9a-fA-F]{1,6})\}/.exec(pattern.slice(start + 2))
      : next === "u"
        ? /^([0-9a-fA-F]{4})/.exec(pattern.slice(start + 2))
        : next === "x"
          ? /^([0-9a-fA-F]{2})/.exec(pattern.slice(start + 2))
          : null;
  if (hex?.[1] !== undefined) {
    const code = Number.parseInt(hex[1], 16);
    const end = start + 2 + hex[0].length;
    return code <= 0x10ffff ? { literal: String.fromCodePoint(code), end } : { end };
  }
  if (next === "k" && pattern[start + 2] === "<") {
    const close = pattern.indexOf(">", start + 3);
    return { end: close === -1 ? pattern.length : close + 1 };
  }
  if (next === "c") return { end: Math.min(start + 3, pattern.length) };
  return CLASS_ESCAPES.has(next) ? { end: start + 2 } : { literal: next, end: start + 2 };
}
