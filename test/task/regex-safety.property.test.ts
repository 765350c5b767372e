// The backtracking bound (src/task/backtracking-bound.ts) must never be below what a backtracking
// matcher really does. The oracle here is independent of the automaton: it walks the pattern's
// syntax tree the way JavaScript's matcher does (greedy, every alternative, an iteration that reads
// nothing ends a loop once its minimum is met), tests each character with a RegExp of the atom's
// own source, never lets the match succeed so that it tries every route, and counts the
// characters it reads. That count must not exceed the bound for an input of the same length.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boundBacktracking } from "../../src/task/backtracking-bound.js";
import { parseRegex, type RegexNode } from "../../src/task/regex-ast.js";
import { buildAutomaton } from "../../src/task/regex-automaton.js";

class TooBig extends Error {}

function backtrackingSteps(pattern: string, root: RegexNode, input: readonly string[]): number {
  let steps = 0;
  let calls = 0;
  const atoms = new Map<RegexNode, RegExp>();
  const reads = (node: RegexNode & { kind: "chars" }, char: string): boolean => {
    const atom = atoms.get(node) ?? new RegExp(`^(?:${pattern.slice(node.span.start, node.span.end)})$`, "u");
    atoms.set(node, atom);
    return atom.test(char);
  };
  const match = (node: RegexNode, at: number, then: (end: number) => void): void => {
    if (++calls > 50_000) throw new TooBig();
    if (node.kind === "chars") {
      const char = input[at];
      if (char !== undefined && reads(node, char)) {
        steps++;
        then(at + 1);
      }
    } else if (node.kind === "seq") {
      const rest = (index: number, from: number): void => {
        const item = node.items[index];
        if (item) match(item, from, (end) => rest(index + 1, end));
        else then(from);
      };
      rest(0, at);
    } else if (node.kind === "alt") {
      for (const option of node.options) match(option, at, then);
    } else if (node.kind === "repeat") {
      const round = (count: number, from: number): void => {
        if (count < node.max) {
          match(node.body, from, (end) => {
            if (count < node.min || end !== from) round(count + 1, end);
          });
        }
        if (count >= node.min) then(from);
      };
      round(0, at);
    } else then(at);
  };
  match(root, 0, () => {});
  return steps;
}

const atom = fc.constantFrom("a", "b", "[ab]", ".", "\\w", "[^a]", "\\d", "1");
const quantifier = fc.constantFrom("", "", "*", "+", "?", "{2}", "{0,2}", "{1,3}", "*?", "{2,}", "{0,6}");
const { alternation } = fc.letrec((tie) => ({
  term: fc.oneof(
    { depthSize: "small" },
    fc.tuple(atom, quantifier).map(([a, q]) => a + q),
    fc.tuple(tie("alternation"), quantifier).map(([a, q]) => `(?:${String(a)})${q}`),
  ),
  sequence: fc.array(tie("term"), { minLength: 1, maxLength: 4 }).map((terms) => terms.join("")),
  alternation: fc.array(tie("sequence"), { minLength: 1, maxLength: 3 }).map((options) => options.join("|")),
}));
const input = fc.array(fc.constantFrom("a", "b", "1", "-"), { maxLength: 6 });

describe("the backtracking bound", () => {
  it("is never below the characters an exhaustive backtracking matcher reads", () => {
    let compared = 0;
    fc.assert(
      fc.property(alternation, input, (pattern, chars) => {
        const root = parseRegex(pattern);
        let actual: number;
        try {
          actual = backtrackingSteps(pattern, root, chars);
        } catch (error) {
          if (error instanceof TooBig) return;
          throw error;
        }
        const automaton = buildAutomaton(root, 257);
        const bound = boundBacktracking(automaton, {
          maxLength: chars.length,
          limit: Number.POSITIVE_INFINITY,
          workLimit: Number.POSITIVE_INFINITY,
        });
        compared++;
        expect(actual, `${pattern} on ${JSON.stringify(chars.join(""))}`).toBeLessThanOrEqual(bound.steps);
      }),
      { numRuns: 200 },
    );
    expect(compared).toBeGreaterThan(100);
  });

  it("(the oracle itself sees the blow-up of a nested repetition)", () => {
    const pattern = "(?:a+)+b";
    const steps = backtrackingSteps(pattern, parseRegex(pattern), [..."aaaaaaaaaa"]);
    expect(steps).toBeGreaterThan(2 ** 9);
  });
});
