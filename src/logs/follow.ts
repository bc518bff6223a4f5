import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { matches, type LogFilter } from "./filter";
import { byTime, createRecordParser, readFileRecords, type ReadPositions, type RecordParser } from "./reader";
import type { LogRecord } from "./record";
import { findLogSources, type LogSource } from "./sources";

interface Followed {
  fd: number;
  ino: number;
  offset: number;
  /** Streaming, so a character split between two reads is decoded whole. */
  decoder: TextDecoder;
  parser: RecordParser;
}

/**
 * Follows every log in `logDir` from where `readLogs` stopped, like
 * `tail -F`: a rotated file is read to its end before the new one is opened
 * (its inode changed), a truncated one is read again from the start, and
 * the log of an engine that appears later is read from its beginning.
 */
export function followLogs(logDir: string, filter: LogFilter, positions: ReadPositions, onRecords: (records: LogRecord[]) => void, pollMs = 200): { stop(): void } {
  const followed = new Map<string, Followed>();
  const open = (source: LogSource): Followed | undefined => {
    try {
      const fd = openSync(source.path, "r");
      const { ino } = fstatSync(fd);
      const known = positions.get(source.path);
      const offset = known?.ino === ino ? known.offset : 0;
      return { fd, ino, offset, decoder: new TextDecoder(), parser: createRecordParser(source, new Date().toISOString()) };
    } catch {
      return undefined;
    }
  };

  const poll = () => {
    const fresh: LogRecord[] = [];
    for (const source of findLogSources(logDir)) {
      if (!followed.has(source.path)) {
        const opened = open(source);
        if (opened) followed.set(source.path, opened);
      }
      const state = followed.get(source.path);
      if (!state) continue;
      // The inode first: a writer that renamed the file writes no more to it, so the read below gets all of it.
      const now = inodeOf(source.path);
      fresh.push(...readNew(state));
      if (now !== undefined && now !== state.ino) {
        fresh.push(...state.parser.flush());
        closeSync(state.fd);
        followed.delete(source.path);
        fresh.push(...rotatedSince(source, state.ino));
        const next = open(source);
        if (next) {
          followed.set(source.path, next);
          fresh.push(...readNew(next));
        }
      }
    }
    const shown = fresh.filter((record) => matches(record, filter));
    if (shown.length) onRecords(byTime(shown));
  };
  poll();
  const timer = setInterval(poll, pollMs);
  return {
    stop() {
      clearInterval(timer);
      for (const state of followed.values()) closeSync(state.fd);
      followed.clear();
    },
  };
}

/**
 * The files rotated after the one that was followed (a busy log can rotate
 * more than once between two polls): each is complete, so read it whole. If
 * the followed file was already deleted (keepFiles), how many rotations
 * passed is unknown and only the current file is read.
 */
function rotatedSince(source: LogSource, followedIno: number): LogRecord[] {
  const rotated = source.files.slice(0, -1);
  const at = rotated.findIndex((file) => inodeOf(file) === followedIno);
  if (at === -1) return [];
  return rotated.slice(at + 1).flatMap((file) => readFileRecords(source, file)?.records ?? []);
}

function readNew(state: Followed): LogRecord[] {
  const size = fstatSync(state.fd).size;
  if (size < state.offset) state.offset = 0;
  if (size === state.offset) return [];
  const buffer = Buffer.alloc(size - state.offset);
  const read = readSync(state.fd, buffer, 0, buffer.length, state.offset);
  state.offset += read;
  return state.parser.push(state.decoder.decode(buffer.subarray(0, read), { stream: true }));
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}
