import type { Command } from "commander";

export interface GlobalOptions {
  file?: string;
  verbose?: boolean;
}

// Reads options that belong to the whole program, from any command. Its own module so that a
// command does not import program.ts, which imports every command.
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}
