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
      const next = pattern[i + 1];
      if (next !== undefined && !CLASS_ESCAPES.has(next)) literals.add(next);
      i += 2;
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
      const next = pattern[i + 1];
      if (next !== undefined && !CLASS_ESCAPES.has(next)) members.push(next);
      i += 2;
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
