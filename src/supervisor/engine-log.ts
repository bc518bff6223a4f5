import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";

/**
 * The per-engine log file. Engine output goes straight to the file through
 * its descriptor, so nothing in the daemon has to keep up with a chatty
 * engine; the tail of the current attempt is read back to explain failures.
 */
export interface EngineLog {
  readonly path: string;
  /** Open for appending; hand it to a child as stdout or stderr. */
  readonly fd: number;
  append(text: string): void;
  /** Starts a new attempt: `tail()` only looks at output written after this. */
  mark(): void;
  tail(maxBytes?: number): string;
  close(): void;
}

export function openEngineLog(logDir: string, engineId: string): EngineLog {
  mkdirSync(logDir, { recursive: true });
  const path = join(logDir, `engine-${engineId}.log`);
  const fd = openSync(path, "a+");
  let attemptStart = fstatSync(fd).size;
  return {
    path,
    fd,
    append: (text) => void writeSync(fd, text),
    mark: () => {
      attemptStart = fstatSync(fd).size;
    },
    tail: (maxBytes = 4096) => {
      const size = fstatSync(fd).size;
      const from = Math.max(attemptStart, size - maxBytes);
      const buffer = Buffer.alloc(size - from);
      readSync(fd, buffer, 0, buffer.length, from);
      return buffer.toString("utf8");
    },
    close: () => closeSync(fd),
  };
}

/** A hint quoting the last lines the engine wrote, which usually name the cause. */
export function hintFromLog(log: EngineLog): string {
  const lines = log
    .tail()
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-3);
  if (lines.length === 0) return `The engine wrote nothing; its log is ${log.path}.`;
  const quoted = lines.join(" | ");
  const excerpt = quoted.length > 400 ? `…${quoted.slice(-400)}` : quoted;
  return `The engine said: "${excerpt}". Full log: ${log.path}.`;
}
