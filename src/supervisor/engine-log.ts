import { formatRecord, parseRecord } from "../logs/record";
import { engineLogPath } from "../logs/files";
import { forEachLine, type ByteReader } from "../logs/line-reader";
import { openRotatingFile, type RotationLimits } from "../logs/rotating-file";

/**
 * The per-engine log file. The daemon reads each engine's output through
 * pipes and writes the file itself, so it can rotate it (a file held open
 * by a child could not be): tale's own engines write JSON records, anything
 * else a server prints becomes the message of a record. The last lines of
 * the current attempt are kept in memory to explain failures.
 */
export interface EngineLog {
  readonly path: string;
  /** Logs every line of a child's stdout or stderr until it closes. */
  drain(reader: ByteReader, initial?: string): Promise<void>;
  line(text: string): void;
  /** Starts a new attempt: `tail()` only returns lines written after this. */
  mark(): void;
  /** The messages of the latest lines of this attempt, oldest first. */
  tail(): string[];
  close(): void;
}

const tailLines = 3;

export function openEngineLog(logDir: string, engineId: string, limits: RotationLimits): EngineLog {
  const file = openRotatingFile(engineLogPath(logDir, engineId), limits);
  let recent: string[] = [];
  const line = (text: string) => {
    const record = parseRecord(text, { time: new Date().toISOString(), level: "info", component: "engine" });
    if (!record) return;
    file.write(formatRecord({ ...record, component: "engine", engine: engineId }));
    recent.push(record.message);
    if (recent.length > tailLines) recent.shift();
  };
  return {
    path: file.path,
    drain: (reader, initial) => forEachLine(reader, line, initial),
    line,
    mark: () => {
      recent = [];
    },
    tail: () => [...recent],
    close: () => file.close(),
  };
}

/**
 * Waits, briefly, until a dead engine's last output has been read from its
 * pipe: an exit can be noticed before the lines written just before it,
 * and those lines are the hint. A grandchild holding the pipe open must not
 * delay a restart, hence the limit.
 */
export async function outputLogged(output: Promise<void>, limitMs = 250): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([output, new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)))]);
  clearTimeout(timer);
}

/** A hint quoting the last lines the engine wrote, which usually name the cause. */
export function hintFromLog(log: EngineLog): string {
  const lines = log.tail();
  if (lines.length === 0) return `The engine wrote nothing; its log is ${log.path}.`;
  const quoted = lines.join(" | ");
  const excerpt = quoted.length > 400 ? `…${quoted.slice(-400)}` : quoted;
  return `The engine said: "${excerpt}". Full log: ${log.path}.`;
}
