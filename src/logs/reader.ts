import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { matches, type LogFilter } from "./filter";
import { parseRecord, type LogRecord } from "./record";
import { findLogSources, type LogSource } from "./sources";

/**
 * Turns a log's text into records. Text arrives in chunks when following,
 * so a line is held until its newline. A line that is not a record (a
 * foreign engine's output) takes the time of the record before it, which
 * keeps it in place when logs are merged by time.
 */
export interface RecordParser {
  push(text: string): LogRecord[];
  /** The last line, if the file ends without a newline. */
  flush(): LogRecord[];
}

export function createRecordParser(source: Pick<LogSource, "component" | "engine" | "rawLevel">, startTime: string): RecordParser {
  let lastTime = startTime;
  let partial = "";
  const parse = (lines: string[]) => {
    const records: LogRecord[] = [];
    for (const line of lines) {
      const record = parseRecord(line, { time: lastTime, level: source.rawLevel ?? "info", component: source.component, ...(source.engine ? { engine: source.engine } : {}) });
      if (!record) continue;
      lastTime = record.time;
      records.push(record);
    }
    return records;
  };
  return {
    push(text) {
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      return parse(lines);
    },
    flush() {
      const line = partial;
      partial = "";
      return parse([line]);
    },
  };
}

/** How far each current file was read, so following goes on from exactly there. */
export type ReadPositions = Map<string, { ino: number; offset: number }>;

/** Every record of every log in `logDir` that passes `filter`, oldest first. */
export function readLogs(logDir: string, filter: LogFilter): { records: LogRecord[]; positions: ReadPositions } {
  const records: LogRecord[] = [];
  const positions: ReadPositions = new Map();
  for (const source of findLogSources(logDir)) {
    for (const file of source.files) {
      const read = readFileRecords(source, file);
      if (!read) continue;
      if (file === source.path) positions.set(file, { ino: read.ino, offset: read.offset });
      for (const record of read.records) if (matches(record, filter)) records.push(record);
    }
  }
  return { records: byTime(records), positions };
}

/** All records of one file of `source`; undefined when it is gone (rotated away between listing and reading). */
export function readFileRecords(source: LogSource, file: string): { records: LogRecord[]; ino: number; offset: number } | undefined {
  const read = readWhole(file);
  if (!read) return undefined;
  const parser = createRecordParser(source, read.mtime);
  return { records: [...parser.push(read.bytes.toString("utf8")), ...parser.flush()], ino: read.ino, offset: read.bytes.length };
}

/** Stable, so lines of one file with the same millisecond keep their order. */
export function byTime(records: LogRecord[]): LogRecord[] {
  return records.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

function readWhole(file: string): { bytes: Buffer; ino: number; mtime: string } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const stat = fstatSync(fd);
    const bytes = Buffer.alloc(stat.size);
    const read = readSync(fd, bytes, 0, bytes.length, 0);
    return { bytes: bytes.subarray(0, read), ino: stat.ino, mtime: stat.mtime.toISOString() };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
