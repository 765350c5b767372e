import { type CharSet, fullSet } from "./char-set.js";
import type { RegexNode, Span } from "./regex-ast.js";

// A position automaton (Glushkov) that keeps count of the ways, as a backtracking matcher does:
// one state per character atom, and from each state the states that may read the next character,
// each with the number of distinct routes between them. `(a+)+` has two routes from a to a (the
// inner loop, and leaving it to go round the outer one), which is why it is exponential.
export interface PositionAutomaton {
  /** What each position reads. */
  sets: CharSet[];
  /** Where each position's atom is written in the pattern. */
  spans: Span[];
  /** follow[p]: position → routes, for each position p, and at index `start` for the beginning. */
  follow: Array<Map<number, number>>;
  start: number;
  /** Lookaround bodies (a lookbehind reversed, as it is matched right to left), to bound apart. */
  lookarounds: RegexNode[];
}

/**
 * x{m,n} with more optional copies than this is bounded as x{m,}: it has at least as many routes
 * (every way through the copies is a way round the loop) and far fewer states to follow.
 */
const MAX_EXACT_OPTIONAL = 4;

interface Summary {
  /** Routes through the node that read nothing. */
  nullable: number;
  /** Positions that can read the node's first character, with the routes to each. */
  first: Map<number, number>;
  /** Positions that can read its last character, with the routes from each to the node's end. */
  last: Map<number, number>;
}

// The size of the automaton before building it: nodes after counted repetition is written out,
// with counts above `repeatCap` cut to it. Lets the caller refuse a pattern too big to check.
export function expandedSize(node: RegexNode, repeatCap: number): number {
  switch (node.kind) {
    case "seq":
      return node.items.reduce((sum, item) => sum + expandedSize(item, repeatCap), 1);
    case "alt":
      return node.options.reduce((sum, option) => sum + expandedSize(option, repeatCap), 1);
    case "repeat": {
      const copies = isOpenEnded(node.min, node.max) ? node.min + 1 : node.max;
      return 1 + Math.max(1, Math.min(copies, repeatCap)) * expandedSize(node.body, repeatCap);
    }
    case "look":
      return 1 + expandedSize(node.body, repeatCap);
    default:
      return 1;
  }
}

// Builds the automaton; counts above `repeatCap` are cut to it (a value of at most N characters
// cannot use more than N non-empty repetitions).
export function buildAutomaton(root: RegexNode, repeatCap: number): PositionAutomaton {
  const builder = new AutomatonBuilder(repeatCap);
  const summary = builder.build(root);
  const start = builder.sets.length;
  builder.follow[start] = summary.first;
  return {
    sets: builder.sets,
    spans: builder.spans,
    follow: builder.follow,
    start,
    lookarounds: builder.lookarounds,
  };
}

class AutomatonBuilder {
  readonly sets: CharSet[] = [];
  readonly spans: Span[] = [];
  readonly follow: Array<Map<number, number>> = [];
  readonly lookarounds: RegexNode[] = [];

  constructor(private readonly repeatCap: number) {}

  build(node: RegexNode): Summary {
    switch (node.kind) {
      case "chars":
        return this.position(node.set, node.span);
      case "backref": // the captured text: any characters, one way for each length
        return this.loop(this.position(fullSet(), node.span), true);
      case "look":
        this.lookarounds.push(node.behind ? reversed(node.body) : node.body);
        return empty();
      case "seq":
        return node.items.map((item) => this.build(item)).reduce((a, b) => this.concat(a, b), empty());
      case "alt":
        return node.options.map((option) => this.build(option)).reduce(union);
      case "repeat":
        return this.repeat(node.body, node.min, node.max);
      default:
        return empty();
    }
  }

  // body{min,max}: the required copies written out, then either a loop or nested optional copies
  // (x{0,3} is (x(x(x)?)?)?, as a backtracking matcher tries them).
  private repeat(body: RegexNode, min: number, max: number): Summary {
    const required = Math.min(min, this.repeatCap);
    const parts: Summary[] = [];
    for (let i = 0; i < required; i++) parts.push(this.build(body));
    if (isOpenEnded(min, max)) parts.push(this.openEnd(body, parts.pop()));
    else {
      let tail = empty();
      for (let i = Math.min(max, this.repeatCap) - required; i > 0; i--) {
        tail = optional(this.concat(this.build(body), tail));
      }
      parts.push(tail);
    }
    return parts.reduce((a, b) => this.concat(a, b), empty());
  }

  // After the required copies, the repetitions that must each read something. A body that cannot
  // match empty loops on its last required copy (x{2,} is x x+); one that can gets a copy of its
  // own (x{2,} is x x x*), since "the last required copy empty, then one more" is another route.
  private openEnd(body: RegexNode, lastRequired: Summary | undefined): Summary {
    if (lastRequired && lastRequired.nullable === 0) return this.loop(lastRequired, false);
    const star = this.loop(this.build(body), true);
    return lastRequired ? this.concat(lastRequired, star) : star;
  }

  // A loop back from the body's end to its start; an iteration that reads nothing is not repeated.
  private loop(body: Summary, zeroAllowed: boolean): Summary {
    this.link(body.last, body.first);
    return { nullable: zeroAllowed ? 1 : body.nullable, first: body.first, last: body.last };
  }

  private concat(a: Summary, b: Summary): Summary {
    this.link(a.last, b.first);
    return {
      nullable: times(a.nullable, b.nullable),
      first: plus(a.first, scaled(b.first, a.nullable)),
      last: plus(b.last, scaled(a.last, b.nullable)),
    };
  }

  private link(from: Map<number, number>, to: Map<number, number>): void {
    for (const [p, waysOut] of from) {
      const edges = this.follow[p] as Map<number, number>;
      for (const [q, waysIn] of to) edges.set(q, (edges.get(q) ?? 0) + times(waysOut, waysIn));
    }
  }

  private position(set: CharSet, span: Span): Summary {
    const p = this.sets.length;
    this.sets.push(set);
    this.spans.push(span);
    this.follow.push(new Map());
    return { nullable: 0, first: new Map([[p, 1]]), last: new Map([[p, 1]]) };
  }
}

function isOpenEnded(min: number, max: number): boolean {
  return max - min > MAX_EXACT_OPTIONAL;
}

function empty(): Summary {
  return { nullable: 1, first: new Map(), last: new Map() };
}

function optional(body: Summary): Summary {
  return { ...body, nullable: body.nullable + 1 };
}

function union(a: Summary, b: Summary): Summary {
  return { nullable: a.nullable + b.nullable, first: plus(a.first, b.first), last: plus(a.last, b.last) };
}

function plus(a: Map<number, number>, b: Map<number, number>): Map<number, number> {
  const sum = new Map(a);
  for (const [p, ways] of b) sum.set(p, (sum.get(p) ?? 0) + ways);
  return sum;
}

function scaled(ways: Map<number, number>, factor: number): Map<number, number> {
  if (factor === 0) return new Map();
  return new Map([...ways].map(([p, count]) => [p, times(count, factor)]));
}

// A product that stays 0 when either side is 0, even against an infinite count.
function times(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : a * b;
}

// The same expression read right to left, for a lookbehind.
function reversed(node: RegexNode): RegexNode {
  switch (node.kind) {
    case "seq":
      return { ...node, items: node.items.map(reversed).reverse() };
    case "alt":
      return { ...node, options: node.options.map(reversed) };
    case "repeat":
      return { ...node, body: reversed(node.body) };
    default:
      return node;
  }
}
