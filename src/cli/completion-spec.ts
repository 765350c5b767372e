import type { Command, Option } from "commander";
import { CREDENTIAL_MODES } from "../session/credential-modes.js";
import { ISOLATION_MODES } from "../session/isolation.js";

/**
 * What a word completes to: file names, the task names of the task file, the parameter names of
 * the task being typed (as `name=`), or fixed words.
 */
export type Completion = "files" | "tasks" | "params" | readonly string[];

export interface FlagSpec {
  /** Every spelling: "-p", "--param". */
  names: string[];
  description: string;
  /** Whether the next word is the flag's value. */
  takesValue: boolean;
  values?: Completion | undefined;
}

export interface CommandSpec {
  /** "run", or "log show" for a subcommand; "" for the program itself. */
  path: string;
  name: string;
  description: string;
  flags: FlagSpec[];
  subcommands: CommandSpec[];
  /** What the first argument completes to (a subcommand's name is offered besides). */
  argument?: Completion | undefined;
}

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

const ARGUMENTS: Record<string, Completion> = {
  run: "tasks",
  explain: "tasks",
  completion: SHELLS,
};

const VALUES: Record<string, Completion> = {
  "--file": "files",
  "--log": "files",
  "--world": "files",
  "--task": "tasks",
  "--param": "params",
  "--credentials": CREDENTIAL_MODES,
  "--isolation": ISOLATION_MODES,
};

// Read from the live commander program, so the scripts always know every command and flag.
export function completionSpec(program: Command): CommandSpec {
  return describe(program, "");
}

// The flags a command accepts: its own, and the program's global ones (-f, --verbose) it does not shadow.
export function commandFlags(command: CommandSpec, program: CommandSpec): FlagSpec[] {
  if (command === program) return program.flags;
  const own = new Set(command.flags.flatMap((flag) => flag.names));
  const inherited = globalFlags(program).filter((flag) => !flag.names.some((name) => own.has(name)));
  return [...command.flags, ...inherited];
}

// Every spelling of the flags of a command that take a value (the word after them is not an argument).
export function valueFlagNames(command: CommandSpec, program: CommandSpec): string[] {
  return commandFlags(command, program)
    .filter((flag) => flag.takesValue)
    .flatMap((flag) => flag.names);
}

// The program's own flags that are also accepted after a command (not --version and --help).
export function globalFlags(program: CommandSpec): FlagSpec[] {
  return program.flags.filter((flag) => !flag.names.includes("--version") && !flag.names.includes("--help"));
}

// Every command, and subcommand, with its path ("log show"): what the scripts switch on.
export function allCommands(program: CommandSpec): CommandSpec[] {
  return program.subcommands.flatMap((command) => [command, ...command.subcommands]);
}

function describe(command: Command, parentPath: string): CommandSpec {
  const help = command.createHelp();
  const path = command.parent ? `${parentPath}${parentPath ? " " : ""}${command.name()}` : "";
  return {
    path,
    name: command.name(),
    description: command.description(),
    flags: help.visibleOptions(command).map(flagSpec),
    subcommands: help.visibleCommands(command).map((sub) => describe(sub, path)),
    argument: ARGUMENTS[path],
  };
}

function flagSpec(option: Option): FlagSpec {
  const names = [option.short, option.long].filter((name): name is string => Boolean(name));
  const takesValue = option.required || option.optional;
  return {
    names,
    description: option.description,
    takesValue,
    values: takesValue && option.long ? VALUES[option.long] : undefined,
  };
}
