import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// The directory of taskaccess's own package.json, found by walking up from a module's URL: the
// same answer from dist/<dir>/x.js (tsc's output, the tests) and dist/bundle/chunks/y.js (what
// bin/taskaccess runs), where a fixed "../../" would point at different places.
export function findPackageRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate) && isTaskaccessPackage(candidate)) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`taskaccess's package.json is not above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
}

function isTaskaccessPackage(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, "utf8")) as { name?: unknown }).name === "taskaccess";
  } catch {
    return false;
  }
}
