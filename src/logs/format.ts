import { colors } from "consola/utils";
import type { LogRecord } from "./record";

/** One record as a terminal line: `2026-12-01 08:03:06.123 WARN  engine ux-0  message`. */
export function formatForTerminal(record: LogRecord): string {
  const time = colors.dim(record.time.replace("T", " ").replace("Z", ""));
  const level = levelColor(record)(record.level.toUpperCase().padEnd(5));
  const who = (record.component === "engine" && record.engine ? `engine ${record.engine}` : record.component).padEnd(13);
  return `${time} ${level} ${colors.cyan(who)} ${record.message}\n`;
}

function levelColor(record: LogRecord): (text: string) => string {
  if (record.level === "error") return colors.red;
  if (record.level === "warn") return colors.yellow;
  if (record.level === "debug") return colors.dim;
  return colors.green;
}
