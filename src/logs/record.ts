/**
 * One line of a tale log file: a JSON object, so `tale logs` filters on
 * fields (`--task`, `--engine`) instead of guessing from the text.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogComponent = "daemon" | "engine" | "plugin";

export const logLevels: readonly LogLevel[] = ["debug", "info", "warn", "error"];
export const logComponents: readonly LogComponent[] = ["daemon", "engine", "plugin"];

export interface LogRecord {
  /** ISO 8601, UTC, with milliseconds: sorts as text. */
  time: string;
  level: LogLevel;
  component: LogComponent;
  engine?: string;
  task?: string;
  message: string;
}

/** Fields a log call may add to its message. */
export type LogFields = Partial<Pick<LogRecord, "engine" | "task">>;

/** How a part that does not own the logger logs: a message, what it is about, and whether it is a warning. */
export type LogFn = (message: string, fields?: LogFields, level?: "info" | "warn") => void;

/** A structured log call: consola spreads these onto its entry (see consola-reporter.ts). */
export type LogLine = { message: string } & LogFields;

export function formatRecord(record: LogRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** consola's levels and types map to four; "fatal", "fail" and friends are errors, "success" and "ready" are info. */
export function toLogLevel(name: string): LogLevel {
  if (name === "debug" || name === "trace" || name === "verbose") return "debug";
  if (name === "warn") return "warn";
  if (name === "error" || name === "fatal" || name === "fail") return "error";
  return "info";
}

/**
 * A line as written to disk. Lines that are not records (a foreign engine's
 * own output, a crash trace) are kept as messages of `fallback`, so nothing
 * an engine said is lost to the reader.
 */
export function parseRecord(line: string, fallback: Omit<LogRecord, "message">): LogRecord | undefined {
  const text = line.trim();
  if (!text) return undefined;
  if (text.startsWith("{")) {
    try {
      const parsed = JSON.parse(text) as Partial<LogRecord>;
      if (typeof parsed.time === "string" && typeof parsed.message === "string") {
        return {
          ...parsed,
          time: parsed.time,
          level: toLogLevel(String(parsed.level ?? "info")),
          component: logComponents.includes(parsed.component as LogComponent) ? (parsed.component as LogComponent) : fallback.component,
          message: parsed.message,
        };
      }
    } catch {
      // Not JSON after all: kept as text below.
    }
  }
  return { ...fallback, message: text };
}
