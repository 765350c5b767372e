import { type CharSet, hasSymbol, SYMBOL_COUNT } from "./char-set.js";
import type { PositionAutomaton } from "./regex-automaton.js";

export interface BoundOptions {
  /** The longest input the pattern is ever matched against. */
  maxLength: number;
  /** Stop as soon as the bound passes this. */
  limit: number;
  /** Give up after this much work (the bound itself must not become the slow part). */
  workLimit: number;
}

export interface BacktrackingBound {
  /** At least the number of partial matches a backtracking matcher can try on one input. */
  steps: number;
  /** Once over the limit: the positions where the count piled up, to say which part is at fault. */
  heavy: number[];
  /** The work limit was reached first: no answer. */
  undecided: boolean;
  /** Work done, to share one budget between a pattern and its lookarounds. */
  work: number;
}

/**
 * Sets of positions an input can have reached (by a hash of the set) → the most routes to each
 * position. Two sets whose hashes collide share one entry: a coarser bound, never a smaller one.
 */
type Layer = Map<number, Map<number, number>>;

// A backtracking matcher tries every route through the pattern that reads a prefix of the input,
// so the routes that read k characters, summed over k up to the input's length, bound its steps.
// For each length k this keeps, per set of positions the input can have reached, the most routes
// to each position (an upper bound over every input of that length); a repeated layer ends it.
export function boundBacktracking(automaton: PositionAutomaton, options: BoundOptions): BacktrackingBound {
  const classes = symbolClasses(automaton.sets);
  let layer: Layer = new Map([[0, new Map([[automaton.start, 1]])]]);
  const history = new LayerHistory();
  let steps = 1;
  let work = 0;
  for (let length = 1; length <= options.maxLength; length++) {
    const next = advance(layer, automaton, classes);
    work += next.work;
    if (work > options.workLimit) return { steps, heavy: [], undecided: true, work };
    if (next.layer.size === 0) break;
    const { weight, vector } = heaviest(next.layer);
    steps += weight;
    const earlier = steps > options.limit ? undefined : history.find(next.layer);
    if (earlier !== undefined) steps += history.periodicRest(earlier, length, options.maxLength);
    if (steps > options.limit) return { steps, heavy: heavyPositions(vector), undecided: false, work };
    if (earlier !== undefined) break;
    history.add(next.layer, length, weight);
    layer = next.layer;
  }
  return { steps, heavy: [], undecided: false, work };
}

// Reads one more character, of every kind the positions tell apart.
function advance(
  layer: Layer,
  automaton: PositionAutomaton,
  classes: number[][],
): { layer: Layer; work: number } {
  const next: Layer = new Map();
  let work = 0;
  for (const vector of layer.values()) {
    const step = stepVector(vector, automaton, classes);
    work += step.work;
    for (const out of step.byClass.values()) work += mergeMax(next, out);
  }
  return { layer: next, work };
}

// From one set of positions: the routes to each next position, per class of character read.
function stepVector(
  vector: Map<number, number>,
  automaton: PositionAutomaton,
  classes: number[][],
): { byClass: Map<number, Map<number, number>>; work: number } {
  const byClass = new Map<number, Map<number, number>>();
  let work = 0;
  for (const [p, count] of vector) {
    for (const [q, routes] of automaton.follow[p] ?? []) {
      for (const symbolClass of classes[q] ?? []) {
        const out = byClass.get(symbolClass) ?? new Map<number, number>();
        byClass.set(symbolClass, out);
        out.set(q, (out.get(q) ?? 0) + count * routes);
        work++;
      }
    }
  }
  return { byClass, work };
}

function mergeMax(layer: Layer, vector: Map<number, number>): number {
  let key = 0;
  for (const p of vector.keys()) key = (key + mix(p)) >>> 0;
  const existing = layer.get(key);
  if (!existing) layer.set(key, vector);
  else for (const [q, count] of vector) if (count > (existing.get(q) ?? 0)) existing.set(q, count);
  return vector.size;
}

// A 32-bit hash of a position, summed over a set to key it.
function mix(p: number): number {
  const h = Math.imul(p ^ (p >>> 16), 0x45d9f3b);
  return Math.imul(h ^ (h >>> 16), 0x45d9f3b) ^ (h >>> 16);
}

function heaviest(layer: Layer): { weight: number; vector: Map<number, number> } {
  let best = { weight: 0, vector: new Map<number, number>() };
  for (const vector of layer.values()) {
    let weight = 0;
    for (const count of vector.values()) weight += count;
    if (weight > best.weight) best = { weight, vector };
  }
  return best;
}

// The positions reached by more than one route: where the ambiguity is.
function heavyPositions(vector: Map<number, number>): number[] {
  const ambiguous = [...vector].filter(([, count]) => count > 1).map(([p]) => p);
  return ambiguous.length > 0 ? ambiguous : [...vector.keys()];
}

// The layers seen so far, to notice when one comes back: from then on they repeat.
class LayerHistory {
  private readonly byHash = new Map<number, number[]>();
  private readonly layers: Layer[] = [];
  private readonly weights: number[] = [];

  add(layer: Layer, length: number, weight: number): void {
    const hash = hashLayer(layer);
    this.byHash.set(hash, [...(this.byHash.get(hash) ?? []), length]);
    this.layers[length] = layer;
    this.weights[length] = weight;
  }

  find(layer: Layer): number | undefined {
    return (this.byHash.get(hashLayer(layer)) ?? []).find((length) => sameLayer(this.layers[length], layer));
  }

  // Layers from `earlier` on repeat with period length − earlier: the weights of the lengths left.
  periodicRest(earlier: number, length: number, maxLength: number): number {
    const period = length - earlier;
    let sum = 0;
    for (let k = length + 1; k <= maxLength; k++)
      sum += this.weights[earlier + ((k - earlier) % period)] ?? 0;
    return sum;
  }
}

function hashLayer(layer: Layer): number {
  let hash = 0;
  for (const [key, vector] of layer) {
    let entry = key;
    for (const [p, count] of vector) entry = (entry + Math.imul(mix(p), (count % 0x7fffffff) | 0)) >>> 0;
    hash = (hash + mix(entry)) >>> 0;
  }
  return hash;
}

function sameLayer(a: Layer | undefined, b: Layer): boolean {
  if (!a || a.size !== b.size) return false;
  for (const [key, vector] of b) {
    const other = a.get(key);
    if (!other || other.size !== vector.size) return false;
    for (const [p, count] of vector) if (other.get(p) !== count) return false;
  }
  return true;
}

// Splits the alphabet into classes of symbols that every position treats alike, and lists for
// each position the classes it reads: one step per class instead of one per character.
function symbolClasses(sets: CharSet[]): number[][] {
  const blockOf = new Int32Array(SYMBOL_COUNT);
  let blocks = 1;
  for (const set of new Set(sets)) {
    const renumber = new Int32Array(blocks * 2).fill(-1);
    let next = 0;
    for (let symbol = 0; symbol < SYMBOL_COUNT; symbol++) {
      const key = (blockOf[symbol] as number) * 2 + (hasSymbol(set, symbol) ? 1 : 0);
      if (renumber[key] === -1) renumber[key] = next++;
      blockOf[symbol] = renumber[key] as number;
    }
    blocks = next;
  }
  const representatives = new Int32Array(blocks).fill(-1);
  for (let symbol = SYMBOL_COUNT - 1; symbol >= 0; symbol--)
    representatives[blockOf[symbol] as number] = symbol;
  return sets.map((set) => {
    const read: number[] = [];
    for (let block = 0; block < blocks; block++)
      if (hasSymbol(set, representatives[block] as number)) read.push(block);
    return read;
  });
}
