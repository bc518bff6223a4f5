import { consola } from "consola";
import { colors } from "consola/utils";
import { errorClasses, isTaleError } from "../../errors";

export interface PrintErrorOptions {
  debug: boolean;
  json: boolean;
}

/** Prints a failure for people (or as JSON) and returns the exit code to use. */
export function printError(error: unknown, options: PrintErrorOptions): number {
  if (isTaleError(error)) {
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
    } else {
      process.stderr.write(`${colors.red("✖")} ${error.message} ${colors.dim(`[${error.code}]`)}\n`);
      if (error.hint) process.stderr.write(`  ${colors.yellow("→")} ${error.hint}\n`);
      if (options.debug && error.stack) process.stderr.write(`${colors.dim(error.stack)}\n`);
    }
    return exitCodeFor(error.code);
  }
  if (options.json) {
    const message = error instanceof Error ? error.message : String(error);
    process.stdout.write(`${JSON.stringify({ error: { code: "INTERNAL", message } })}\n`);
  }
  consola.error("tale hit an internal error. This is a bug in tale; please report it with the trace below.");
  consola.error(error);
  return 70;
}

/** Distinct exit codes let scripts tell user mistakes from unavailable services. */
function exitCodeFor(code: keyof typeof errorClasses): number {
  if (code === "UNKNOWN_COMMAND" || code === "BAD_REQUEST" || code === "CONFIG") return 2;
  if (code === "TIMEOUT") return 124;
  if (code === "CANCELLED") return 130;
  return 1;
}
