import type { ConsolaReporter } from "consola";
import { formatRecord, toLogLevel, type LogComponent, type LogRecord } from "./record";

/**
 * Turns consola's entries into log records. Structured fields travel as a
 * log object, `log.info({ message, task, engine })`, which consola spreads
 * onto the entry; a tag names the component (the plugin manager logs as
 * `plugin`), otherwise `component` is used.
 */
export function jsonLogReporter(write: (line: string) => void, component: LogComponent): ConsolaReporter {
  return {
    log(entry) {
      const fields = entry as unknown as Partial<Pick<LogRecord, "engine" | "task">>;
      const tag = entry.tag?.split(":").pop();
      const record: LogRecord = {
        time: entry.date.toISOString(),
        level: toLogLevel(entry.type),
        component: tag === "plugin" || tag === "engine" ? tag : component,
        ...(typeof fields.engine === "string" ? { engine: fields.engine } : {}),
        ...(typeof fields.task === "string" ? { task: fields.task } : {}),
        message: entry.args.map(argText).join(" "),
      };
      write(formatRecord(record));
    },
  };
}

function argText(arg: unknown): string {
  if (arg instanceof Error) return arg.stack ?? arg.message;
  return typeof arg === "string" ? arg : JSON.stringify(arg);
}
