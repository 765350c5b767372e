import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import { expect } from "vitest";

/** The flag that lets expectGolden write golden files; without it they are only read. */
export const UPDATE_GOLDEN = "UPDATE_GOLDEN";

// Compares text with a committed golden file. Only UPDATE_GOLDEN=1 writes one (new or changed:
// review the diff before committing); otherwise a missing or different file fails the test.
export function expectGolden(path: string, actual: string): void {
  const name = relative(process.cwd(), path);
  if (process.env[UPDATE_GOLDEN] === "1") {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  } else if (!existsSync(path)) {
    throw new Error(
      `golden file ${name} is missing; to write it, run the test with ${UPDATE_GOLDEN}=1 and review the new file`,
    );
  }
  expect(
    actual,
    `output differs from the golden file ${name}; if the change is intended, rerun with ${UPDATE_GOLDEN}=1 and review the diff`,
  ).toBe(readFileSync(path, "utf8"));
}
