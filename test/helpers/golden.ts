import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { expect } from "vitest";

// Compares text with a committed golden file; UPDATE_GOLDEN=1 rewrites it (review the diff).
export function expectGolden(path: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(path)) {
    if (process.env.CI === "true" && !existsSync(path)) throw new Error(`golden file ${path} is missing`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}
