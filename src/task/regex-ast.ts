import {
  addAll,
  type CharSet,
  caseInsensitive,
  classEscapeSet,
  complement,
  dotSet,
  emptySet,
  propertySet,
  rangeSet,
} from "./char-set.js";

/** Where a node is written in the pattern: [start, end) in UTF-16 units. */
export interface Span {
  start: number;
  end: number;
}

// A JavaScript regular expression (Unicode mode) as the backtracking bound needs it: which
// characters each atom reads, how atoms are sequenced, alternated and repeated. Assertions are
// empty; a lookaround is kept apart because it reads text without moving on.
export type RegexNode =
  | { kind: "chars"; set: CharSet; span: Span }
  | { kind: "empty"; span: Span }
  | { kind: "seq"; items: RegexNode[]; span: Span }
  | { kind: "alt"; options: RegexNode[]; span: Span }
  | { kind: "repeat"; body: RegexNode; min: number; max: number; span: Span }
  | { kind: "look"; body: RegexNode; behind: boolean; span: Span }
  | { kind: "backref"; span: Span };

// Syntax the parser does not know; the caller refuses the pattern rather than guess.
export class UnsupportedRegexError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
    this.name = "UnsupportedRegexError";
  }
}

// Parses a pattern that `new RegExp(pattern, "u")` accepts; throws UnsupportedRegexError otherwise.
export function parseRegex(pattern: string): RegexNode {
  const reader = new RegexReader(pattern);
  const node = reader.alternation(false);
  if (reader.pos < pattern.length) throw new UnsupportedRegexError("unbalanced )", reader.pos);
  return node;
}

const QUANTIFIER = /\{(\d+)(?:(,)(\d*))?\}/y;
const SIMPLE_ESCAPES = new Map([
  ["f", 12],
  ["n", 10],
  ["r", 13],
  ["t", 9],
  ["v", 11],
  ["0", 0],
]);
const GROUP_MODIFIERS = /\?([ims]*)(?:-([ims]*))?:/y;

class RegexReader {
  pos = 0;
  /** \p{...} sets already worked out (each takes 256 tests); shared, never changed. */
  private readonly properties = new Map<string, CharSet>();
  constructor(private readonly source: string) {}

  alternation(ignoreCase: boolean): RegexNode {
    const start = this.pos;
    const options = [this.sequence(ignoreCase)];
    while (this.source[this.pos] === "|") {
      this.pos++;
      options.push(this.sequence(ignoreCase));
    }
    return options.length === 1
      ? (options[0] as RegexNode)
      : { kind: "alt", options, span: this.from(start) };
  }

  private sequence(ignoreCase: boolean): RegexNode {
    const start = this.pos;
    const items: RegexNode[] = [];
    while (this.pos < this.source.length && this.source[this.pos] !== "|" && this.source[this.pos] !== ")") {
      items.push(this.term(ignoreCase));
    }
    if (items.length === 1) return items[0] as RegexNode;
    return items.length === 0
      ? { kind: "empty", span: this.from(start) }
      : { kind: "seq", items, span: this.from(start) };
  }

  private term(ignoreCase: boolean): RegexNode {
    const start = this.pos;
    const body = this.atom(ignoreCase);
    const bounds = this.quantifier();
    return bounds ? { kind: "repeat", body, ...bounds, span: this.from(start) } : body;
  }

  private atom(ignoreCase: boolean): RegexNode {
    const start = this.pos;
    const char = this.source[this.pos];
    if (char === "^" || char === "$") {
      this.pos++;
      return { kind: "empty", span: this.from(start) };
    }
    if (char === "(") return this.group(ignoreCase);
    if (char === "[") return this.chars(this.characterClass(ignoreCase), start);
    if (char === ".") {
      this.pos++;
      return this.chars(dotSet(), start);
    }
    if (char === "\\") return this.escape(ignoreCase);
    if (
      char === ")" ||
      char === "]" ||
      char === "{" ||
      char === "}" ||
      char === "*" ||
      char === "+" ||
      char === "?"
    ) {
      throw new UnsupportedRegexError(`unexpected ${char}`, start);
    }
    const code = this.codePoint();
    return this.chars(ignoreCase ? caseInsensitive(rangeSet(code, code)) : rangeSet(code, code), start);
  }

  private group(ignoreCase: boolean): RegexNode {
    const start = this.pos++;
    const rest = this.source.slice(this.pos, this.pos + 4);
    let look: { behind: boolean } | undefined;
    let inner = ignoreCase;
    if (rest.startsWith("?:")) this.pos += 2;
    else if (rest.startsWith("?=") || rest.startsWith("?!"))
      [look, this.pos] = [{ behind: false }, this.pos + 2];
    else if (rest.startsWith("?<=") || rest.startsWith("?<!"))
      [look, this.pos] = [{ behind: true }, this.pos + 3];
    else if (rest.startsWith("?<")) this.pos = this.closing(">") + 1;
    else if (rest.startsWith("?")) inner = this.modifiers(ignoreCase);
    const body = this.alternation(inner);
    if (this.source[this.pos] !== ")") throw new UnsupportedRegexError("unclosed group", start);
    this.pos++;
    if (look) return { kind: "look", body, behind: look.behind, span: this.from(start) };
    return { ...body, span: this.from(start) };
  }

  // (?i:...), (?-i:...) and the like: only `i` changes what a character matches.
  private modifiers(ignoreCase: boolean): boolean {
    GROUP_MODIFIERS.lastIndex = this.pos;
    const match = GROUP_MODIFIERS.exec(this.source);
    if (!match) throw new UnsupportedRegexError("unknown group syntax", this.pos);
    this.pos += match[0].length;
    if (match[1]?.includes("i")) return true;
    return match[2]?.includes("i") ? false : ignoreCase;
  }

  private quantifier(): { min: number; max: number } | undefined {
    const char = this.source[this.pos];
    let bounds: { min: number; max: number } | undefined;
    if (char === "*" || char === "+" || char === "?") {
      this.pos++;
      bounds = { min: char === "+" ? 1 : 0, max: char === "?" ? 1 : Number.POSITIVE_INFINITY };
    } else if (char === "{") {
      QUANTIFIER.lastIndex = this.pos;
      const match = QUANTIFIER.exec(this.source);
      if (!match) throw new UnsupportedRegexError("malformed {n,m}", this.pos);
      this.pos += match[0].length;
      const min = Number(match[1]);
      bounds = {
        min,
        max: match[2] === undefined ? min : match[3] ? Number(match[3]) : Number.POSITIVE_INFINITY,
      };
    }
    if (bounds && this.source[this.pos] === "?") this.pos++; // lazy: the same paths, in another order
    return bounds;
  }

  private escape(ignoreCase: boolean): RegexNode {
    const start = this.pos;
    const next = this.source[this.pos + 1] ?? "";
    if (next === "b" || next === "B") {
      this.pos += 2;
      return { kind: "empty", span: this.from(start) };
    }
    if (/[1-9]/.test(next) || (next === "k" && this.source[this.pos + 2] === "<")) {
      this.pos = next === "k" ? this.closing(">") + 1 : this.pos + 1;
      while (next !== "k" && /[0-9]/.test(this.source[this.pos] ?? "")) this.pos++;
      return { kind: "backref", span: this.from(start) };
    }
    const set = this.escapeSet(false);
    return this.chars(ignoreCase ? caseInsensitive(set) : set, start);
  }

  // One escape that stands for characters: a class escape, a property, or one character.
  private escapeSet(inClass: boolean): CharSet {
    const next = this.source[this.pos + 1] ?? "";
    if (/[dDwWsS]/.test(next)) {
      this.pos += 2;
      return classEscapeSet(next);
    }
    if ((next === "p" || next === "P") && this.source[this.pos + 2] === "{") {
      const close = this.closing("}");
      const body = this.source.slice(this.pos + 3, close);
      this.pos = close + 1;
      const key = `${next}${body}`;
      const set = this.properties.get(key) ?? propertySet(body, next === "P");
      this.properties.set(key, set);
      return set;
    }
    const code = this.characterEscape(inClass);
    return rangeSet(code, code);
  }

  private characterEscape(inClass: boolean): number {
    const start = this.pos;
    const next = this.source[this.pos + 1] ?? "";
    this.pos += 2;
    const simple = SIMPLE_ESCAPES.get(next);
    if (simple !== undefined) return simple;
    if (next === "b" && inClass) return 8;
    if (next === "c") return (this.source.charCodeAt(this.pos++) || 0) % 32;
    if (next === "x") return this.hex(2);
    if (next === "u") return this.unicodeEscape();
    if (next === "") throw new UnsupportedRegexError("trailing backslash", start);
    this.pos = start + 1;
    return this.codePoint(); // an identity escape such as \. or \/
  }

  private unicodeEscape(): number {
    if (this.source[this.pos] === "{") {
      const close = this.closing("}");
      const code = Number.parseInt(this.source.slice(this.pos + 1, close), 16);
      this.pos = close + 1;
      return code;
    }
    const code = this.hex(4);
    // A surrogate pair written as two escapes is one character beyond Latin-1 either way.
    if (code >= 0xd800 && code <= 0xdbff && /^\\u[dD][c-fC-F]/.test(this.source.slice(this.pos)))
      this.pos += 6;
    return code;
  }

  private hex(digits: number): number {
    const text = this.source.slice(this.pos, this.pos + digits);
    if (!/^[0-9a-fA-F]+$/.test(text) || text.length !== digits)
      throw new UnsupportedRegexError("bad hex escape", this.pos);
    this.pos += digits;
    return Number.parseInt(text, 16);
  }

  private characterClass(ignoreCase: boolean): CharSet {
    const start = this.pos++;
    const negated = this.source[this.pos] === "^";
    if (negated) this.pos++;
    const set = emptySet();
    while (this.source[this.pos] !== "]") {
      if (this.pos >= this.source.length) throw new UnsupportedRegexError("unclosed [", start);
      addAll(set, this.classMember());
    }
    this.pos++;
    const folded = ignoreCase ? caseInsensitive(set) : set;
    return negated ? complement(folded) : folded;
  }

  // One member of a class: a character, a range a-z, or an escape such as \d or \p{L}.
  private classMember(): CharSet {
    const first = this.classAtom();
    if (typeof first !== "number" || this.source[this.pos] !== "-" || this.source[this.pos + 1] === "]") {
      return typeof first === "number" ? rangeSet(first, first) : first;
    }
    this.pos++;
    const last = this.classAtom();
    if (typeof last !== "number") throw new UnsupportedRegexError("class range to a class escape", this.pos);
    return rangeSet(first, last);
  }

  private classAtom(): number | CharSet {
    if (this.source[this.pos] !== "\\") return this.codePoint();
    const next = this.source[this.pos + 1] ?? "";
    if (/[dDwWsS]/.test(next) || ((next === "p" || next === "P") && this.source[this.pos + 2] === "{")) {
      return this.escapeSet(true);
    }
    return this.characterEscape(true);
  }

  private codePoint(): number {
    const code = this.source.codePointAt(this.pos) ?? 0;
    this.pos += code > 0xffff ? 2 : 1;
    return code;
  }

  // Where the next `char` is, from here on: the end of a name or a braced escape.
  private closing(char: string): number {
    const at = this.source.indexOf(char, this.pos);
    if (at === -1) throw new UnsupportedRegexError(`no closing ${char}`, this.pos);
    return at;
  }

  private chars(set: CharSet, start: number): RegexNode {
    return { kind: "chars", set, span: this.from(start) };
  }

  private from(start: number): Span {
    return { start, end: this.pos };
  }
}
