import { createConsola } from "consola";
import { logFileReporter } from "../util/log-file-reporter";

/**
 * stdout carries only the protocol lines, so every engine log goes to stderr.
 * The level is set because consola hides info logs when NODE_ENV is "test",
 * and these lines are the only record of what an engine did.
 */
export const engineLog = createConsola({
  level: 3,
  stdout: process.stderr,
  stderr: process.stderr,
  ...(process.stderr.isTTY ? {} : { reporters: [logFileReporter(process.stderr)] }),
}).withTag("engine");
