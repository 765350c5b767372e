// JavaScript regular expressions backtrack and have no time limit, and a parameter's pattern
// runs against a value typed on the command line (and, at validation, against its default). A
// pattern that can match the same text in many ways, such as (a|a)+, (a+)+, (\w+\s?)* or
// (.*a){12}, can take seconds to years on a value that almost matches. Such patterns are refused
// when the file is read: the check bounds, from the pattern alone, how many steps a backtracking
// matcher can take on any value of up to MAX_PARAM_VALUE_LENGTH characters.
import { boundBacktracking } from "./backtracking-bound.js";
import { MAX_PARAM_VALUE_LENGTH } from "./params.js";
import { parseRegex, type RegexNode, type Span, UnsupportedRegexError } from "./regex-ast.js";
import { buildAutomaton, expandedSize } from "./regex-automaton.js";

/**
 * Steps a pattern may need on its worst value: at most about a tenth of a second of matching.
 * Quadratic patterns such as \d+-?\d+ (about 33,000 steps on 256 characters) and cubic ones
 * (about 2.8 million) pass; higher powers and exponential ones do not.
 */
export const MAX_BACKTRACKING_STEPS = 5_000_000;
/** A pattern with more parts than this, once {n,m} is written out, is not checked but refused. */
export const MAX_EXPANDED_SIZE = 5_000;
/** Work the check may do on one pattern (about 50 ms) before it gives up and refuses it. */
const MAX_PATTERN_WORK = 200_000;
/** Work the checks of one task file may do together, so that many patterns cannot add up to a hang. */
const MAX_FILE_WORK = 2_000_000;
/** Work charged per part of the expanded pattern, for building its automaton. */
const WORK_PER_PART = 4;

// The work left for checking the patterns of one task file.
export interface CheckBudget {
  remaining: number;
}

// A fresh budget for one task file.
export function newCheckBudget(): CheckBudget {
  return { remaining: MAX_FILE_WORK };
}

// What is wrong with a pattern, worded to follow "`tasks.t.params.p.pattern` ".
export interface PatternHazard {
  message: string;
  hint: string;
}

const REWRITE_HINT =
  "let each character be matched in only one way: a+ rather than (a+)+ or (a|aa)+, [ab]+ rather than (a|b|ab)+, and a fixed character between repeated parts, as in ([a-z0-9-]+/)+";

// Says why a (valid, Unicode-mode) pattern could backtrack catastrophically, or nothing when it cannot.
export function findBacktrackingHazard(
  pattern: string,
  budget: CheckBudget = newCheckBudget(),
): PatternHazard | undefined {
  let root: RegexNode;
  try {
    root = parseRegex(pattern);
  } catch (error) {
    if (!(error instanceof UnsupportedRegexError)) throw error;
    return {
      message: `uses syntax that taskaccess cannot check for catastrophic backtracking (at character ${error.at + 1}: ${error.message})`,
      hint: "write it with plain groups, character classes and quantifiers",
    };
  }
  const size = expandedSize(root, MAX_PARAM_VALUE_LENGTH + 1);
  if (size > MAX_EXPANDED_SIZE) {
    return {
      message: `is too large to check for catastrophic backtracking: it has more than ${MAX_EXPANDED_SIZE.toLocaleString("en")} parts once counted repetitions such as {100} are written out`,
      hint: "use smaller repetition counts, or fewer of them",
    };
  }
  const allowance = Math.min(MAX_PATTERN_WORK, budget.remaining);
  const work = { spent: size * WORK_PER_PART, limit: allowance };
  const bound = work.spent > allowance ? { steps: 0, undecided: true } : boundPattern(root, work);
  budget.remaining -= Math.min(work.spent, allowance);
  if (bound.undecided) {
    return {
      message:
        allowance < MAX_PATTERN_WORK
          ? "could not be checked for catastrophic backtracking: the task file's patterns together need more checking than taskaccess allows"
          : "is too complex to check for catastrophic backtracking",
      hint: `simplify it; ${REWRITE_HINT}`,
    };
  }
  if (bound.steps <= MAX_BACKTRACKING_STEPS) return undefined;
  const part = bound.blame ? pattern.slice(bound.blame.start, bound.blame.end) : pattern;
  return {
    message: `${part === pattern ? "can" : `has a part, ${part}, that can`} match the same text in so many ways that checking a value of up to ${MAX_PARAM_VALUE_LENGTH} characters could take more than ${MAX_BACKTRACKING_STEPS.toLocaleString("en")} steps (catastrophic backtracking)`,
    hint: REWRITE_HINT,
  };
}

interface PatternBound {
  steps: number;
  undecided: boolean;
  blame?: Span | undefined;
}

// The main expression's bound, times one plus the bounds of the lookarounds it may run at each step.
function boundPattern(root: RegexNode, work: { spent: number; limit: number }): PatternBound {
  const automaton = buildAutomaton(root, MAX_PARAM_VALUE_LENGTH + 1);
  const main = boundBacktracking(automaton, {
    maxLength: MAX_PARAM_VALUE_LENGTH,
    limit: MAX_BACKTRACKING_STEPS,
    workLimit: work.limit - work.spent,
  });
  work.spent += main.work;
  if (main.undecided) return { steps: main.steps, undecided: true };
  if (main.heavy.length > 0) {
    return {
      steps: main.steps,
      undecided: false,
      blame: blame(
        root,
        main.heavy.map((p) => automaton.spans[p] as Span),
      ),
    };
  }
  let lookaroundSteps = 0;
  for (const body of automaton.lookarounds) {
    const inner = boundPattern(body, work);
    if (inner.undecided || inner.blame) return inner;
    lookaroundSteps += inner.steps;
  }
  return { steps: main.steps * (1 + lookaroundSteps), undecided: false };
}

// The part of the pattern to name: the outermost open-ended repetition that holds every given
// span, else the smallest part that holds them all, with its quantifier if it has one.
function blame(node: RegexNode, targets: Span[]): Span {
  if (node.kind === "repeat") {
    if (node.max === Number.POSITIVE_INFINITY) return node.span;
    const inner = blame(node.body, targets);
    return inner === node.body.span ? node.span : inner;
  }
  const children =
    node.kind === "seq"
      ? node.items
      : node.kind === "alt"
        ? node.options
        : node.kind === "look"
          ? [node.body]
          : [];
  const holder = children.find((child) => targets.every((target) => within(target, child.span)));
  if (holder) return blame(holder, targets);
  if (node.kind !== "seq") return node.span;
  // The run of items that hold a target (a lookbehind's items are reversed: take the extremes).
  const touched = node.items.filter((item) => targets.some((target) => within(target, item.span)));
  if (touched.length === 0 || touched.length === node.items.length) return node.span;
  return {
    start: Math.min(...touched.map((item) => item.span.start)),
    end: Math.max(...touched.map((item) => item.span.end)),
  };
}

function within(inner: Span, outer: Span): boolean {
  return inner.start >= outer.start && inner.end <= outer.end;
}
