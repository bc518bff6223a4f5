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
  // Undefined while closed: a closed descriptor's number can be reused by another file, which must never get log lines.
  let fd: number | undefined;
  let size = 0;
  const open = () => {
    fd = openSync(path, "a", 0o600);
    size = fstatSync(fd).size;
    return fd;
  };
  const rotate = () => {
    const old = fd;
    fd = undefined;
    if (old !== undefined) closeSync(old);
    rmSync(`${path}.${limits.keepFiles}`, { force: true });
    for (let index = limits.keepFiles - 1; index >= 1; index--) renameIfPresent(`${path}.${index}`, `${path}.${index + 1}`);
    if (limits.keepFiles > 0) renameIfPresent(path, `${path}.1`);
    else rmSync(path, { force: true });
    size = 0;
  };
  open();
  return {
    path,
    write(text) {
      const bytes = Buffer.from(redact(text));
      // Logging must never fail the work it describes: a full or read-only disk drops the line (and the next write tries again).
      try {
        if (size > 0 && size + bytes.length > limits.maxBytes) rotate();
        const target = fd ?? open();
        writeSync(target, bytes);
        size += bytes.length;
      } catch {
        // The line is lost; the disk's trouble is reported by the parts that need the disk.
      }
    },
    setLimits: (next) => (limits = next),
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
