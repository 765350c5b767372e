import { sha256Hex } from "./chain.js";
import { readRawLines } from "./line-splitter.js";

// `log verify --head HASH`: the line whose SHA-256 is HASH (a head kept elsewhere after a run),
// or undefined. In a chain that verifies, every line before it is then as it was when the head was
// taken: each is vouched for by the next one's prev, up to this line.
export async function findLineWithHash(path: string, hash: string): Promise<number | undefined> {
  for await (const batch of readRawLines(path)) {
    for (const raw of batch) {
      if (raw.terminated && sha256Hex(raw.bytes) === hash) return raw.number;
    }
  }
  return undefined;
}
