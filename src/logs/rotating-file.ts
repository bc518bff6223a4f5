import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { redact } from "./secrets";

export interface RotationLimits {
  maxBytes: number;
  /** Rotated files kept beside the current one: `name.1` (newest) … `name.<keepFiles>`. */
  keepFiles: number;
}

export interface RotatingFile {
  readonly path: string;
  /** Appends whole lines; rotates first when they would take the file past its limit. */
  write(text: string): void;
  /** The config is read after the log opens (its errors are logged), so the limits can change. */
  setLimits(next: RotationLimits): void;
  close(): void;
}

/**
 * A log file only this process writes, so it can rotate by renaming: a
 * reader that follows `path` notices the new file by its inode. Writes are
 * synchronous so lines from one process never interleave and a crash loses
 * nothing already logged.
 */
export function openRotatingFile(path: string, initialLimits: RotationLimits): RotatingFile {
  let limits = initialLimits;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd = openSync(path, "a", 0o600);
  let size = fstatSync(fd).size;
  const rotate = () => {
    closeSync(fd);
    rmSync(`${path}.${limits.keepFiles}`, { force: true });
    for (let index = limits.keepFiles - 1; index >= 1; index--) renameIfPresent(`${path}.${index}`, `${path}.${index + 1}`);
    if (limits.keepFiles > 0) renameSync(path, `${path}.1`);
    else rmSync(path, { force: true });
    fd = openSync(path, "a", 0o600);
    size = 0;
  };
  return {
    path,
    write(text) {
      const bytes = Buffer.from(redact(text));
      // Logging must never fail the work it describes: a full or read-only disk drops the line.
      try {
        if (size > 0 && size + bytes.length > limits.maxBytes) rotate();
        writeSync(fd, bytes);
        size += bytes.length;
      } catch {
        size = safeSize(fd, size);
      }
    },
    setLimits: (next) => (limits = next),
    close: () => closeSync(fd),
  };
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

function safeSize(fd: number, fallback: number): number {
  try {
    return fstatSync(fd).size;
  } catch {
    return fallback;
  }
}
