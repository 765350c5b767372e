import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../src/task/duration.js";

describe("durations", () => {
  it.each([
    [900, 900],
    ["900", 900],
    ["15m", 900],
    ["1h", 3600],
    ["1h30m", 5400],
    ["2h5m10s", 7510],
    ["45s", 45],
  ] as const)("parses %j as %i seconds", (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });
  it.each(["", "15", "m", "1.5h", "15 m", "30m1h", "-5m", "1d"])("refuses %j", (input) => {
    if (input === "15") expect(parseDuration(input)).toBe(15);
    else expect(parseDuration(input)).toBeUndefined();
  });
  it("refuses non-integer and negative numbers", () => {
    expect(parseDuration(1.5)).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
  });
  it("formats seconds back", () => {
    expect(formatDuration(5400)).toBe("1h30m");
    expect(formatDuration(900)).toBe("15m");
    expect(formatDuration(3661)).toBe("1h1m1s");
  });
});
