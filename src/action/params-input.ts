import { UsageError } from "../errors.js";

/** A parameter name as the task file declares them (src/task/schema.ts, PARAM_NAME_PATTERN). */
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The good lines and the bad ones, so all bad lines are reported together. */
export interface ParamsInput {
  /** `name=value` for `run --param`, in the order given. */
  params: string[];
  problems: UsageError[];
}

// The params input: one `name=value` a line, split at the first `=` (the value may hold more);
// blank lines and lines starting with # are skipped; a bad line is named by its number.
export function parseParamsInput(text: string): ParamsInput {
  const params: string[] = [];
  const problems: UsageError[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const number = index + 1;
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    const name = eq === -1 ? line : line.slice(0, eq);
    if (eq === -1 || !PARAM_NAME.test(name)) {
      problems.push(
        new UsageError(
          `input "params", line ${number}: ${JSON.stringify(line)} is not of the form name=value`,
          eq === -1
            ? "write one parameter a line, such as version=1.4.2"
            : "a name is letters, digits and _, with no space before the =",
        ),
      );
      return;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      problems.push(
        new UsageError(
          `input "params", line ${number}: ${name} is given again (first on line ${earlier})`,
          "give each parameter once",
        ),
      );
      return;
    }
    seen.set(name, number);
    params.push(line);
  });
  return { params, problems };
}
