import { stripVTControlCharacters } from "node:util";
import { runCommand, type CommandDef, type SubCommandsDef } from "citty";
import { TaleError } from "../errors";
import { taleVersion } from "../version";
import { suggest } from "./suggest";
import { printError } from "./output/errors";

/**
 * Runs the CLI and turns every failure into an exit code and a readable
 * message. Only bugs in tale show a stack trace (or anything, with --debug).
 */
export async function runCli(root: CommandDef<any>, argv: string[]): Promise<void> {
  const debug = argv.includes("--debug");
  const json = argv.includes("--json");
  const rawArgs = argv.filter((arg) => arg !== "--debug");
  try {
    if (rawArgs[0] === "--version" || rawArgs[0] === "-v") {
      process.stdout.write(`${taleVersion}\n`);
      return;
    }
    const path = await walkCommandPath(root, rawArgs);
    if (path.unknown !== undefined) throw unknownCommand(path);
    if (rawArgs.includes("--help") || rawArgs.includes("-h") || rawArgs.length === 0) {
      const { renderUsage } = await import("citty");
      const usage = await (path.parent ? renderUsage(path.command, path.parent) : renderUsage(path.command));
      // citty picks colours once, from the environment only: a pipe or a file gets plain text.
      process.stdout.write(`${process.stdout.isTTY ? usage : stripVTControlCharacters(usage)}\n`);
      return;
    }
    try {
      await runCommand(root, { rawArgs });
    } catch (error) {
      throw fromCittyError(error, path.names);
    }
  } catch (error) {
    process.exitCode = printError(error, { debug, json });
  }
}

interface CommandPath {
  /** Subcommand names given, e.g. ["plugin", "new"]. */
  names: string[];
  command: CommandDef<any>;
  parent?: CommandDef<any>;
  /** A word where a subcommand was expected but none has that name. */
  unknown?: string;
  siblings: string[];
}

/** Follows the subcommand words of the arguments as far as they name commands. */
async function walkCommandPath(root: CommandDef<any>, rawArgs: string[]): Promise<CommandPath> {
  const path: CommandPath = { names: [], command: root, siblings: [] };
  for (const arg of rawArgs) {
    if (arg.startsWith("-")) break;
    const subCommands = await resolve<SubCommandsDef | undefined>(path.command.subCommands);
    if (!subCommands) break;
    const next = subCommands[arg];
    if (!next) return { ...path, unknown: arg, siblings: await visibleNames(subCommands) };
    path.parent = path.command;
    path.command = await resolve<CommandDef<any>>(next);
    path.names.push(arg);
  }
  return path;
}

/** Citty only says "Unknown command"; this names the closest one. */
function unknownCommand(path: CommandPath): TaleError {
  const prefix = ["tale", ...path.names].join(" ");
  const guess = suggest(path.unknown!, path.siblings);
  return new TaleError("UNKNOWN_COMMAND", `Unknown command "${path.unknown}".`, {
    hint: guess
      ? `Did you mean "${prefix} ${guess}"? Run "${prefix} --help" for all commands.`
      : `Run "${prefix} --help" for all commands: ${path.siblings.join(", ")}.`,
  });
}

async function visibleNames(subCommands: SubCommandsDef): Promise<string[]> {
  const names: string[] = [];
  for (const [name, def] of Object.entries(subCommands)) {
    const command = await resolve<CommandDef<any>>(def);
    const meta = await resolve<{ hidden?: boolean } | undefined>(command.meta);
    if (!meta?.hidden) names.push(name);
  }
  return names;
}

async function resolve<T>(value: unknown): Promise<T> {
  return (typeof value === "function" ? await value() : await value) as T;
}

/** Citty reports usage mistakes (a missing argument) as plain errors; they are the user's, not tale's. */
function fromCittyError(error: unknown, names: string[]): unknown {
  if (!(error instanceof Error) || error.name !== "CLIError") return error;
  return new TaleError("BAD_REQUEST", error.message.replace(/\x1b\[[0-9;]*m/g, ""), {
    hint: `Run \`tale ${names.length ? `${names.join(" ")} ` : ""}--help\` to see the arguments.`,
  });
}
