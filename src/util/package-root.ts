import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface OwnPackage {
  /** The directory holding taskaccess's package.json. */
  root: string;
  version: string;
}

// taskaccess's own package.json, found by walking up from a module's URL: the same answer from
// dist/<dir>/x.js (tsc's output, the tests) and dist/bundle/chunks/y.js (what bin/taskaccess
// runs), where a fixed "../../" would point at different places.
export function findOwnPackage(moduleUrl: string): OwnPackage {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const manifest = readManifest(join(dir, "package.json"));
    if (manifest?.name === "taskaccess") return { root: dir, version: String(manifest.version) };
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`taskaccess's package.json is not above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
}

// The directory of taskaccess's package.json (see findOwnPackage).
export function findPackageRoot(moduleUrl: string): string {
  return findOwnPackage(moduleUrl).root;
}

function readManifest(path: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}
