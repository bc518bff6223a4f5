import { consola, type ConsolaInstance } from "consola";
import { createDefaultConfig } from "../config/defaults";
import type { TaleConfig } from "../config/types";
import { jsonLogReporter } from "./consola-reporter";
import { rotationLimits } from "./files";
import { openRotatingFile, type RotatingFile } from "./rotating-file";

/**
 * Sends every consola line of the daemon to its rotating JSON log, so the
 * log exists however the daemon was started (background, foreground,
 * systemd); in a terminal the lines are shown there as well.
 */
export function startDaemonLog(path: string, taggedLoggers: ConsolaInstance[]): { file: RotatingFile; configure(log: TaleConfig["log"]): void } {
  const file = openRotatingFile(path, rotationLimits(createDefaultConfig().log));
  const toFile = jsonLogReporter((line) => file.write(line), "daemon");
  const reporters = process.stderr.isTTY ? [...consola.options.reporters, toFile] : [toFile];
  // A tagged logger copied the reporters when it was made.
  for (const logger of [consola, ...taggedLoggers]) logger.setReporters(reporters);
  return { file, configure: (log) => file.setLimits(rotationLimits(log)) };
}
