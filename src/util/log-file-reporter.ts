import type { ConsolaReporter } from "consola";

/**
 * Daemon and engine logs go to files, where a line needs a timestamp and a
 * level more than colour: `2026-11-25T01:30:00.123Z INFO  [daemon] message`.
 */
export function logFileReporter(stream: NodeJS.WritableStream): ConsolaReporter {
  return {
    log(entry) {
      const level = (entry.type === "log" ? "info" : entry.type).toUpperCase().padEnd(5);
      const tag = entry.tag ? `[${entry.tag}] ` : "";
      const text = entry.args
        .map((arg) => (arg instanceof Error ? (arg.stack ?? arg.message) : typeof arg === "string" ? arg : JSON.stringify(arg)))
        .join(" ");
      stream.write(`${entry.date.toISOString()} ${level} ${tag}${text}\n`);
    },
  };
}
