// The characters one position of a regular expression accepts, for the backtracking bound
// (regex-safety.ts). Latin-1 (U+0000..U+00FF) is kept exactly, character by character; every
// character above it is one abstract symbol, present when the set may hold any of them. Two sets
// that share that symbol are taken to overlap, which can only make the bound larger, never smaller.

/** Symbols 0..255 are the Latin-1 characters; 256 stands for every character above U+00FF. */
export const BEYOND_LATIN1 = 256;
export const SYMBOL_COUNT = 257;

/** How much of U+0100..U+10FFFF a set holds: "some" is the safe answer when unsure. */
export type Beyond = "none" | "some" | "all";

export interface CharSet {
  latin1: Uint8Array;
  beyond: Beyond;
}

// The empty set, to be filled by the parser.
export function emptySet(): CharSet {
  return { latin1: new Uint8Array(256), beyond: "none" };
}

// Every character: a negated empty class ([^]) or a backreference's text.
export function fullSet(): CharSet {
  return { latin1: new Uint8Array(256).fill(1), beyond: "all" };
}

// The characters from `from` to `to` (code points, inclusive).
export function rangeSet(from: number, to: number): CharSet {
  const set = emptySet();
  for (let code = Math.max(0, from); code <= Math.min(255, to); code++) set.latin1[code] = 1;
  if (to > 255) set.beyond = from <= 256 && to >= 0x10ffff ? "all" : "some";
  return set;
}

// True when the set holds the symbol (a Latin-1 code, or BEYOND_LATIN1).
export function hasSymbol(set: CharSet, symbol: number): boolean {
  return symbol === BEYOND_LATIN1 ? set.beyond !== "none" : set.latin1[symbol] === 1;
}

// Adds every member of `other` to `into` (the parser builds classes member by member).
export function addAll(into: CharSet, other: CharSet): CharSet {
  for (let code = 0; code < 256; code++) if (other.latin1[code]) into.latin1[code] = 1;
  into.beyond = joinBeyond(into.beyond, other.beyond);
  return into;
}

// The characters not in the set, for [^...], \D, \W, \S and \P{...}.
export function complement(set: CharSet): CharSet {
  const latin1 = set.latin1.map((bit) => 1 - bit);
  const beyond: Beyond = set.beyond === "none" ? "all" : set.beyond === "all" ? "none" : "some";
  return { latin1, beyond };
}

// Adds the other case of every letter, for a group under the `i` modifier. A cased letter may
// also match a character beyond Latin-1 (U+017F matches s, U+212A matches k).
export function caseInsensitive(set: CharSet): CharSet {
  const folded: CharSet = { latin1: new Uint8Array(set.latin1), beyond: set.beyond };
  for (let code = 0; code < 256; code++) {
    if (!set.latin1[code]) continue;
    const char = String.fromCharCode(code);
    if (char.toLowerCase() === char.toUpperCase()) continue;
    for (const other of [char.toLowerCase(), char.toUpperCase()]) {
      const otherCode = other.codePointAt(0) ?? code;
      if (other.length === 1 && otherCode < 256) folded.latin1[otherCode] = 1;
    }
    folded.beyond = joinBeyond(folded.beyond, "some");
  }
  return folded;
}

// \d \D \w \W \s \S, as JavaScript defines them without the `i` flag.
export function classEscapeSet(letter: string): CharSet {
  const lower = letter.toLowerCase();
  const set =
    lower === "d"
      ? rangeSet(0x30, 0x39)
      : lower === "w"
        ? [rangeSet(0x30, 0x39), rangeSet(0x41, 0x5a), rangeSet(0x61, 0x7a), rangeSet(0x5f, 0x5f)].reduce(
            addAll,
          )
        : whitespaceSet();
  return letter === lower ? set : complement(set);
}

// `.` without the `s` flag: everything but the line terminators \n, \r, U+2028 and U+2029.
export function dotSet(): CharSet {
  const set = complement(emptySet());
  set.latin1[10] = 0;
  set.latin1[13] = 0;
  set.beyond = "some";
  return set;
}

// \p{...} or \P{...}: its Latin-1 members tested one by one, and "some" beyond Latin-1.
export function propertySet(body: string, negated: boolean): CharSet {
  const test = new RegExp(`^\\p{${body}}$`, "u");
  const set = emptySet();
  for (let code = 0; code < 256; code++) if (test.test(String.fromCharCode(code))) set.latin1[code] = 1;
  set.beyond = "some";
  return negated ? complement(set) : set;
}

function whitespaceSet(): CharSet {
  const set = emptySet();
  for (const code of [9, 10, 11, 12, 13, 32, 0xa0]) set.latin1[code] = 1;
  set.beyond = "some"; // U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF
  return set;
}

function joinBeyond(a: Beyond, b: Beyond): Beyond {
  if (a === "all" || b === "all") return "all";
  return a === "some" || b === "some" ? "some" : "none";
}
