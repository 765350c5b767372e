import { type Document, isMap, isPair, isScalar, isSeq, type Node, parseDocument, visit } from "yaml";
import type { Diagnostic, SourceLocation } from "./diagnostic.js";
import { SourceText } from "./source-text.js";

export type YamlPath = ReadonlyArray<string | number>;

// A parsed task file: plain data for the schema, and the node tree for pointing at positions.
export interface ParsedYaml {
  source: SourceText;
  data: unknown;
  locate: (path: YamlPath, target?: "key" | "value") => SourceLocation | undefined;
}

/** Aliases beyond this are treated as a "billion laughs" expansion attack. */
export const MAX_ALIAS_COUNT = 50;

// Parses YAML strictly (duplicate keys, tabs and alias bombs are errors) and keeps positions.
export function parseYaml(file: string, text: string): { parsed?: ParsedYaml; diagnostics: Diagnostic[] } {
  const source = new SourceText(file, text);
  // uniqueKeys is checked below in one pass: the library's own check compares every key of a
  // mapping with every other, which takes minutes on a 1 MB file of one big mapping.
  const doc = parseDocument(text, { uniqueKeys: false, strict: true, prettyErrors: false, merge: false });
  const diagnostics: Diagnostic[] = doc.errors.map((error) => ({
    message: cleanYamlMessage(error.message),
    location: source.locate(error.pos[0], error.pos[1]),
  }));
  if (diagnostics.length === 0) diagnostics.push(...checkKeys(doc.contents, source));
  if (diagnostics.length > 0) return { diagnostics: capDiagnostics(diagnostics) };
  keepKeysAsWritten(doc, text);
  let data: unknown;
  try {
    // yaml counts the anchor itself as one use: N aliases of an anchor make N + 1.
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT + 1 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unresolved = findUnresolvedAlias(doc);
    if (unresolved) {
      return {
        diagnostics: [
          {
            message: `the alias *${unresolved.name} names no anchor before it`,
            location: source.locate(unresolved.offset),
            hint: `define &${unresolved.name} earlier in the file, or write the value out`,
          },
        ],
      };
    }
    return {
      diagnostics: [
        {
          message: /excessive alias/i.test(message)
            ? `too many alias expansions (more than ${MAX_ALIAS_COUNT}); the file looks like an alias bomb`
            : `cannot read the YAML: ${message}`,
          location: source.locate(0),
          hint: "write the task file out without YAML anchors and aliases",
        },
      ],
    };
  }
  return {
    parsed: { source, data, locate: (path, target = "value") => locateNode(doc, source, path, target) },
    diagnostics: [],
  };
}

// A mapping key that YAML reads as a number or a boolean (a task named 2024, 0x1F or 1.10) keeps
// its text: converted, 0x1F would silently become task "31" and 1.10 task "1.1".
function keepKeysAsWritten(doc: Document, text: string): void {
  visit(doc, {
    Pair: (_key, pair) => {
      const key = pair.key;
      if (!isScalar(key) || typeof key.value === "string" || key.value === null || !key.range) return;
      if (key.type !== "PLAIN") return;
      key.value = text.slice(key.range[0], key.range[1]);
    },
  });
}

// The first alias whose anchor is not defined before it (yaml's toJS() says only "Unresolved alias").
function findUnresolvedAlias(doc: Document): { name: string; offset: number } | undefined {
  let found: { name: string; offset: number } | undefined;
  visit(doc, {
    Alias: (_key, node) => {
      if (node.resolve(doc) !== undefined) return undefined;
      found = { name: node.source, offset: node.range?.[0] ?? 0 };
      return visit.BREAK;
    },
  });
  return found;
}

/** More errors than this are summarised: a broken file should not print megabytes. */
export const MAX_DIAGNOSTICS = 20;

function capDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  if (diagnostics.length <= MAX_DIAGNOSTICS) return diagnostics;
  const shown = diagnostics.slice(0, MAX_DIAGNOSTICS);
  const last = shown[shown.length - 1];
  return [
    ...shown,
    {
      message: `and ${diagnostics.length - MAX_DIAGNOSTICS} more errors`,
      ...(last?.location ? { location: last.location } : {}),
      hint: "fix the first ones; the rest often follow from them",
    },
  ];
}

// Duplicate keys, and keys that JavaScript objects treat specially: `__proto__` would be
// dropped by the schema without a word (and so could drop a condition from a policy).
function checkKeys(root: unknown, source: SourceText): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0 && diagnostics.length <= MAX_DIAGNOSTICS) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const item of node.items) {
        const key = isScalar(item.key) ? item.key.value : item.key;
        const range = rangeOf(item.key);
        const location = range ? source.locate(range[0], range[1]) : source.locate(0);
        if (key === "__proto__") {
          diagnostics.push({
            message: "the key __proto__ is not allowed",
            location,
            hint: "it names JavaScript's object prototype; choose another name",
          });
        } else if (isScalar(item.key) && seen.has(key)) {
          diagnostics.push({ message: `duplicate key ${JSON.stringify(key)}`, location });
        }
        seen.add(key);
        stack.push(item.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return diagnostics;
}

function cleanYamlMessage(message: string): string {
  // The yaml library appends " at line L, column C:" plus a snippet; we print our own.
  return message.replace(/ at line \d+, column \d+:[\s\S]*$/, "").trim();
}

function locateNode(
  doc: Document,
  source: SourceText,
  path: YamlPath,
  target: "key" | "value",
): SourceLocation | undefined {
  let node: unknown = doc.contents;
  let lastKey: Node | undefined;
  let resolved = 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const isLast = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && item.key.value === segment,
      );
      if (!pair || !isPair(pair)) break;
      lastKey = isScalar(pair.key) ? pair.key : undefined;
      if (isLast && target === "key") {
        node = lastKey;
        resolved = path.length;
        break;
      }
      node = pair.value ?? lastKey;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) break;
      node = item;
    } else {
      break;
    }
    resolved = i + 1;
  }
  // A path that ends in a missing key points at the key of the mapping it is missing from.
  const range =
    (resolved < path.length ? rangeOf(lastKey) : undefined) ?? rangeOf(node) ?? rangeOf(doc.contents);
  if (!range) return source.locate(0);
  return source.locate(range[0], range[1]);
}

function rangeOf(node: unknown): [number, number] | undefined {
  if (node && typeof node === "object" && "range" in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    if (range) return [range[0], range[1]];
  }
  return undefined;
}
