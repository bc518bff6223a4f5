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
    await checkCommandPath(root, rawArgs);
    if (rawArgs.includes("--help") || rawArgs.includes("-h") || rawArgs.length === 0) {
      const { showUsage } = await import("citty");
      await showUsage(...(await resolveForUsage(root, rawArgs)));
      return;
    }
    await runCommand(root, { rawArgs });
  } catch (error) {
    process.exitCode = printError(fromCittyError(error, rawArgs), { debug, json });
  }
}

/** Citty only says "Unknown command"; walk the path first to offer a suggestion. */
async function checkCommandPath(root: CommandDef<any>, rawArgs: string[]): Promise<void> {
  let command = root;
  for (const arg of rawArgs) {
    if (arg.startsWith("-")) return;
    const subCommands = await resolve<SubCommandsDef | undefined>(command.subCommands);
    if (!subCommands) return;
    const next = subCommands[arg];
    if (!next) {
      const names = await visibleNames(subCommands);
      const guess = suggest(arg, names);
      throw new TaleError("UNKNOWN_COMMAND", `Unknown command "${arg}".`, {
        hint: guess ? `Did you mean "tale ${guess}"? Run "tale --help" for all commands.` : `Run "tale --help" for all commands: ${names.join(", ")}.`,
      });
    }
    command = await resolve<CommandDef<any>>(next);
  }
}

async function resolveForUsage(root: CommandDef<any>, rawArgs: string[]): Promise<[CommandDef<any>, CommandDef<any>?]> {
  let command = root;
  let parent: CommandDef<any> | undefined;
  for (const arg of rawArgs) {
    if (arg.startsWith("-")) break;
    const subCommands = await resolve<SubCommandsDef | undefined>(command.subCommands);
    const next = subCommands?.[arg];
    if (!next) break;
    parent = command;
    command = await resolve<CommandDef<any>>(next);
  }
  return parent ? [command, parent] : [command];
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
function fromCittyError(error: unknown, rawArgs: string[]): unknown {
  if (!(error instanceof Error) || error.name !== "CLIError") return error;
  const command = rawArgs.filter((arg) => !arg.startsWith("-")).slice(0, 1).join(" ");
  return new TaleError("BAD_REQUEST", error.message.replace(/\x1b\[[0-9;]*m/g, ""), {
    hint: `Run \`tale ${command ? `${command} ` : ""}--help\` to see the arguments.`,
  });
}
