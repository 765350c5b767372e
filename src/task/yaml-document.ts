import { type Document, isMap, isPair, isScalar, isSeq, type Node, parseDocument } from "yaml";
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
  const doc = parseDocument(text, { uniqueKeys: true, strict: true, prettyErrors: false, merge: false });
  const diagnostics: Diagnostic[] = doc.errors.map((error) => ({
    message: cleanYamlMessage(error.message),
    location: source.locate(error.pos[0], error.pos[1]),
  }));
  if (diagnostics.length > 0) return { diagnostics };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      diagnostics: [
        {
          message: /alias/i.test(message)
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
