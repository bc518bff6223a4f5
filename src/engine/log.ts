import { createConsola } from "consola";
import { jsonLogReporter } from "../logs/consola-reporter";

/**
 * stdout carries only the protocol lines, so every engine log goes to stderr,
 * as JSON records the daemon writes to the engine's log file (see
 * supervisor/engine-log.ts). The level is set because consola hides info
 * logs when NODE_ENV is "test", and these lines are the only record of what
 * an engine did.
 */
export const engineLog = createConsola({
  level: 3,
  stdout: process.stderr,
  stderr: process.stderr,
  ...(process.stderr.isTTY ? {} : { reporters: [jsonLogReporter((line) => process.stderr.write(line), "engine")] }),
}).withTag("engine");
