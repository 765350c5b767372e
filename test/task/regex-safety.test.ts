// Patterns that can backtrack exponentially are refused; ordinary ones, path-like ones included, pass.
import { describe, expect, it } from "vitest";
import { findNestedQuantifier } from "../../src/task/regex-safety.js";

describe("findNestedQuantifier", () => {
  it.each(["(a+)+", "(a*)*", "(\\w+\\s?)+", "((ab)*c?)+", "x(?:y+)+z", "([a-z]+)*", "(a{2,})+"])(
    "refuses %s",
    (pattern) => {
      expect(findNestedQuantifier(pattern)).toBe(pattern.indexOf("("));
    },
  );

  it.each([
    "(?:[a-z0-9-]+/)+(?:[a-z0-9._-]+|[*])",
    "^[0-9]+\\.[0-9]+\\.[0-9]+$",
    "staging|prod",
    "(ab)+",
    "[a-z(]+",
    "\\p{L}+(-\\p{L}+)*",
    "(?<name>a)+",
    "(a{1,1})+",
    "\\(a+\\)+",
  ])("accepts %s", (pattern) => {
    expect(findNestedQuantifier(pattern)).toBeUndefined();
  });
});
