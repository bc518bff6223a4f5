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
 * `tail -F`: a rotated file is read to its end, then the files rotated after
 * it (a busy log can rotate more than once between two polls), then the new
 * one; a truncated file is read again from the start, and the log of an
 * engine that appears later is read from its beginning. Files are told
 * apart by inode, since rotation renames them.
 */
export function followLogs(logDir: string, filter: LogFilter, positions: ReadPositions, onRecords: (records: LogRecord[]) => void, pollMs = 200): { stop(): void } {
  const followed = new Map<string, Followed>();
  // Where reading stopped; the file may have been rotated since, so it is found by its inode.
  for (const source of findLogSources(logDir)) {
    const known = positions.get(source.path);
    const file = known && source.files.find((candidate) => inodeOf(candidate) === known.ino);
    const state = file ? openAt(source, file, known.offset, known.ino) : undefined;
    if (state) followed.set(source.path, state);
  }

  const poll = () => {
    const fresh: LogRecord[] = [];
    for (const source of findLogSources(logDir)) {
      const state = followed.get(source.path) ?? openAt(source, source.path, 0);
      if (!state) continue;
      followed.set(source.path, state);
      // The inode first: a writer that renamed the file writes no more to it, so the read below gets all of it.
      const now = inodeOf(source.path);
      fresh.push(...readNew(state));
      if (now === undefined || now === state.ino) continue;
      fresh.push(...state.parser.flush());
      closeSync(state.fd);
      followed.delete(source.path);
      fresh.push(...rotatedSince(logDir, source.path, state.ino));
      const next = openAt(source, source.path, 0);
      if (next) {
        followed.set(source.path, next);
        fresh.push(...readNew(next));
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

/** Opens `file` of `source` to read from `offset`; with `ino`, only if it is still that file. */
function openAt(source: LogSource, file: string, offset: number, ino?: number): Followed | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const stat = fstatSync(fd);
    if (ino !== undefined && stat.ino !== ino) throw new Error("rotated meanwhile");
    return { fd, ino: stat.ino, offset, decoder: new TextDecoder(), parser: createRecordParser(source, new Date().toISOString()) };
  } catch {
    if (fd !== undefined) closeSync(fd);
    return undefined;
  }
}

/**
 * The files rotated after the one that was followed, each complete, so read
 * whole; listed afresh, since names shift with every rotation. If the
 * followed file was already deleted (keepFiles), how many rotations passed
 * is unknown and only the current file is read.
 */
function rotatedSince(logDir: string, path: string, followedIno: number): LogRecord[] {
  const source = findLogSources(logDir).find((candidate) => candidate.path === path);
  if (!source) return [];
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
