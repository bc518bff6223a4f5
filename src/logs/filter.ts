import { TaleError } from "../errors";
import { logComponents, logLevels, type LogComponent, type LogLevel, type LogRecord } from "./record";

export interface LogFilter {
  engine?: string;
  component?: LogComponent;
  /** The lowest level shown. */
  level?: LogLevel;
  task?: string;
  /** Epoch milliseconds. */
  since?: number;
}

export function matches(record: LogRecord, filter: LogFilter): boolean {
  if (filter.engine !== undefined && record.engine !== filter.engine) return false;
  if (filter.component !== undefined && record.component !== filter.component) return false;
  if (filter.task !== undefined && record.task !== filter.task) return false;
  if (filter.level !== undefined && logLevels.indexOf(record.level) < logLevels.indexOf(filter.level)) return false;
  if (filter.since !== undefined && Date.parse(record.time) < filter.since) return false;
  return true;
}

export function parseLevel(text: string): LogLevel {
  if ((logLevels as readonly string[]).includes(text)) return text as LogLevel;
  throw new TaleError("BAD_REQUEST", `Invalid --level "${text}".`, { hint: `Use one of ${logLevels.join(", ")}; lines at that level and above are shown.` });
}

export function parseComponent(text: string): LogComponent {
  if ((logComponents as readonly string[]).includes(text)) return text as LogComponent;
  throw new TaleError("BAD_REQUEST", `Invalid --component "${text}".`, { hint: `Use one of ${logComponents.join(", ")}.` });
}
