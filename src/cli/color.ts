import { Chalk, type ChalkInstance } from "chalk";

// Colour follows NO_COLOR (https://no-color.org) and FORCE_COLOR, and is off when not a terminal.
export function colorLevel(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === "0" || force === "false") return 0;
    if (force === "2") return 2;
    if (force === "3") return 3;
    return 1;
  }
  if (!isTTY || env.TERM === "dumb") return 0;
  return 1;
}

// A chalk instance for one stream, never the auto-detecting global one.
export function createChalk(
  env: Readonly<Record<string, string | undefined>>,
  isTTY: boolean,
): ChalkInstance {
  return new Chalk({ level: colorLevel(env, isTTY) });
}
