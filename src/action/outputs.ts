import { appendFile } from "node:fs/promises";
import type { RunSummary } from "../cli/run-summary-json.js";

/** The Action's outputs (action.yml `outputs`), in its order. */
export const ACTION_OUTPUTS = ["session", "session-name", "exit-code", "revoked", "log-head"] as const;

/** An output name, as action.yml declares it (test/action/action-yml.test.ts). */
export type ActionOutputName = (typeof ACTION_OUTPUTS)[number];
/** Every output has a value, empty when unknown, so none keeps a stale one. */
export type ActionOutputs = Record<ActionOutputName, string>;

// Every output, also when no session was issued (then only exit-code is not empty): a step that
// reads them after a failure finds this run's values, never an earlier step's.
export function actionOutputs(exitCode: number, summary: RunSummary | undefined): ActionOutputs {
  return {
    session: summary?.session ?? "",
    "session-name": summary?.sessionName ?? "",
    "exit-code": String(exitCode),
    revoked: summary === undefined ? "" : String(summary.revoked),
    "log-head": summary?.logHead ?? "",
  };
}

// The $GITHUB_OUTPUT syntax for values of any text, `name<<DELIMITER`, value, DELIMITER, as
// actions/toolkit core setOutput writes it; a delimiter found in a name or value is refused.
export function formatOutputs(outputs: Readonly<Record<string, string>>, delimiter: string): string {
  let text = "";
  for (const [name, value] of Object.entries(outputs)) {
    if (name.includes(delimiter) || value.includes(delimiter)) {
      throw new Error(`the output ${name} contains the delimiter ${delimiter}`);
    }
    text += `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
  return text;
}

// Appends the outputs to the file GitHub named in GITHUB_OUTPUT (it reads the file when the step ends).
export async function writeOutputs(
  path: string,
  outputs: Readonly<Record<string, string>>,
  delimiter: string,
): Promise<void> {
  await appendFile(path, formatOutputs(outputs, delimiter), "utf8");
}
