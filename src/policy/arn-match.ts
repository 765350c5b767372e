// Whether a resource pattern from a task (IAM wildcards, {{param}} placeholders, ${aws:...}
// variables) can match an ARN of a catalogue resource type (arn:${Partition}:s3:::${BucketName}).
// Both sides are read as patterns, and the question is whether some ARN matches both.

const BUCKET_NAME = "$" + "{BucketName}";

type CharClass = "any" | "no-colon" | "segment";
type Token = { kind: "char"; char: string } | { kind: "one" } | { kind: "star"; chars: CharClass };

/** Could `resource` (as written in a task) name a resource of the ARN format `format`? */
export function resourceMatchesFormat(resource: string, format: string): boolean {
  return intersects(resourceTokens(resource), formatTokens(format));
}

// `*` any run (also across : and /), `?` one character; a placeholder or policy variable
// stands for one name, without : or /.
function resourceTokens(resource: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < resource.length) {
    const placeholder = /^(?:\{\{[^}]*\}\}|\$\{[^}]*\})/.exec(resource.slice(i))?.[0];
    if (placeholder) {
      // ${*}, ${?} and ${$} are IAM's way of writing those characters literally.
      const literal = /^\$\{([*?$])\}$/.exec(placeholder)?.[1];
      tokens.push(literal ? { kind: "char", char: literal } : { kind: "star", chars: "segment" });
      i += placeholder.length;
      continue;
    }
    const char = resource[i] ?? "";
    if (char === "*") tokens.push({ kind: "star", chars: "any" });
    else if (char === "?") tokens.push({ kind: "one" });
    else tokens.push({ kind: "char", char });
    i += 1;
  }
  return tokens;
}

// A ${Variable} is any run without ":" (names may hold paths), a bucket name also without "/",
// and the last variable is anything (Lambda's function:NAME:QUALIFIER, log-stream names).
function formatTokens(format: string): Token[] {
  const tokens: Token[] = [];
  const parts = format.split(/(\$\{[^}]*\})/);
  const lastVariable = parts.map((part) => part.startsWith("${")).lastIndexOf(true);
  parts.forEach((part, index) => {
    if (part.startsWith("${")) {
      tokens.push({ kind: "star", chars: variableClass(part, index === lastVariable) });
    } else {
      for (const char of part) tokens.push({ kind: "char", char });
    }
  });
  return tokens;
}

function variableClass(variable: string, last: boolean): CharClass {
  if (variable === BUCKET_NAME) return "segment";
  return last ? "any" : "no-colon";
}

// Whether a single-character token can be a character of the class.
function fits(token: Exclude<Token, { kind: "star" }>, chars: CharClass): boolean {
  return token.kind === "one" || inClass(token.char, chars);
}

function inClass(char: string, chars: CharClass): boolean {
  if (chars === "any") return true;
  if (chars === "no-colon") return char !== ":";
  return char !== ":" && char !== "/";
}

// Dynamic programming over (position in a, position in b): can the rests produce one string?
function intersects(a: Token[], b: Token[]): boolean {
  const memo = new Map<number, boolean>();
  const step = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    memo.set(key, false);
    const result = advance(a[i], b[j], i, j, step);
    memo.set(key, result);
    return result;
  };
  return step(0, 0);
}

function advance(
  x: Token | undefined,
  y: Token | undefined,
  i: number,
  j: number,
  step: (i: number, j: number) => boolean,
): boolean {
  if (!x && !y) return true;
  if (x?.kind === "star" && step(i + 1, j)) return true;
  if (y?.kind === "star" && step(i, j + 1)) return true;
  if (!x || !y) return false;
  if (x.kind === "star") return y.kind !== "star" && fits(y, x.chars) && step(i, j + 1);
  if (y.kind === "star") return fits(x, y.chars) && step(i + 1, j);
  if (x.kind === "char" && y.kind === "char" && x.char.toLowerCase() !== y.char.toLowerCase()) return false;
  return step(i + 1, j + 1);
}
