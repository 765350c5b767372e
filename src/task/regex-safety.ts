// JavaScript regular expressions have no time limit, and a parameter's pattern runs against a
// value typed on the command line: a pattern whose repeated group repeats something inside it
// with nothing fixed between the repetitions, such as (a+)+ or (\w+\s?)*, can take exponential
// time on a value that almost matches.

interface Group {
  start: number;
  /** Something inside repeats (an atom or group with * + or {n,}). */
  repeats: boolean;
  /** Something inside must appear exactly once per match (an unquantified atom). */
  fixed: boolean;
}

/**
 * Finds the first repeated group whose body repeats with no fixed atom in it, and returns its
 * index in the pattern, or undefined. A heuristic in the spirit of the safe-regex package, tuned
 * so that path-like patterns such as ([a-z0-9-]+/)+ (a fixed "/" each time) pass; it does not
 * catch overlapping alternatives like (a|a)+.
 */
export function findNestedQuantifier(pattern: string): number | undefined {
  const groups: Group[] = [{ start: -1, repeats: false, fixed: false }];
  const top = () => groups[groups.length - 1] as Group;
  let i = 0;
  while (i < pattern.length) {
    const char = pattern[i];
    let end: number;
    if (char === "(") {
      groups.push({ start: i, repeats: false, fixed: false });
      i +=
        pattern.startsWith("(?<", i) && !/^\(\?<[=!]/.test(pattern.slice(i))
          ? 1
          : pattern[i + 1] === "?"
            ? 3
            : 1;
      continue;
    }
    if (char === ")") {
      const group = groups.length > 1 ? (groups.pop() as Group) : undefined;
      end = i + 1;
      const quantifier = quantifierAt(pattern, end);
      if (group) {
        if (quantifier.unbounded && group.repeats && !group.fixed) return group.start;
        if (group.repeats || quantifier.unbounded) top().repeats = true;
        if (group.fixed && !quantifier.present) top().fixed = true;
      }
      i = end + quantifier.length;
      continue;
    }
    if (char === "|" || char === "^" || char === "$") {
      i++;
      continue;
    }
    // An atom: an escape, a character class, or one character.
    if (char === "\\") end = escapeEnd(pattern, i);
    else if (char === "[") end = classEnd(pattern, i);
    else end = i + 1;
    const quantifier = quantifierAt(pattern, end);
    if (quantifier.unbounded) top().repeats = true;
    if (!quantifier.present) top().fixed = true;
    i = end + quantifier.length;
  }
  return undefined;
}

function quantifierAt(pattern: string, at: number): { present: boolean; unbounded: boolean; length: number } {
  const char = pattern[at];
  let length = 0;
  let unbounded = false;
  if (char === "*" || char === "+") {
    length = 1;
    unbounded = true;
  } else if (char === "?") {
    length = 1;
  } else if (char === "{") {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(at));
    if (match) {
      length = match[0].length;
      unbounded = match[2] === undefined ? Number(match[1]) > 1 : match[3] === "" || Number(match[3]) > 1;
    }
  }
  if (length > 0 && pattern[at + length] === "?") length++; // lazy
  return { present: length > 0, unbounded, length };
}

function escapeEnd(pattern: string, at: number): number {
  const next = pattern[at + 1];
  if ((next === "p" || next === "P") && pattern[at + 2] === "{") {
    const close = pattern.indexOf("}", at + 3);
    return close === -1 ? pattern.length : close + 1;
  }
  if (next === "u" && pattern[at + 2] === "{") {
    const close = pattern.indexOf("}", at + 3);
    return close === -1 ? pattern.length : close + 1;
  }
  if (next === "u") return at + 6;
  if (next === "x") return at + 4;
  return at + 2;
}

function classEnd(pattern: string, at: number): number {
  let i = at + 1;
  if (pattern[i] === "^") i++;
  if (pattern[i] === "]") i++;
  while (i < pattern.length && pattern[i] !== "]") i += pattern[i] === "\\" ? 2 : 1;
  return i + 1;
}
