import { readdirSync } from "node:fs";
import { join } from "node:path";
import { daemonLogName, daemonOutputName, engineLogPattern } from "./files";
import type { LogComponent, LogLevel } from "./record";

/** One log as `tale logs` sees it: the current file and its rotated predecessors. */
export interface LogSource {
  /** The current file; rotated ones are `${path}.1` (newest) and up. */
  path: string;
  component: LogComponent;
  engine?: string;
  /** Rotated files, oldest first, then the current one. */
  files: string[];
  /** The level of a line that is not a record; info when absent. */
  rawLevel?: LogLevel;
}

/**
 * The daemon's log and every engine's, as found in `logDir` now (engines
 * come and go with the config), and the daemon's raw output, where a crash
 * leaves its trace: all of it is an error.
 */
export function findLogSources(logDir: string): LogSource[] {
  let names: string[];
  try {
    names = readdirSync(logDir);
  } catch {
    return [];
  }
  const sources: LogSource[] = [];
  for (const name of names) {
    if (name === daemonOutputName) {
      const path = join(logDir, name);
      sources.push({ path, component: "daemon", files: [path], rawLevel: "error" });
      continue;
    }
    const engine = engineLogPattern.exec(name)?.[1];
    if (name !== daemonLogName && engine === undefined) continue;
    const rotated = names
      .map((other) => ({ other, index: rotationIndex(name, other) }))
      .filter((entry): entry is { other: string; index: number } => entry.index !== undefined)
      .sort((a, b) => b.index - a.index)
      .map((entry) => join(logDir, entry.other));
    const path = join(logDir, name);
    sources.push({ path, component: engine === undefined ? "daemon" : "engine", ...(engine === undefined ? {} : { engine }), files: [...rotated, path] });
  }
  return sources;
}

function rotationIndex(base: string, name: string): number | undefined {
  if (!name.startsWith(`${base}.`)) return undefined;
  const suffix = name.slice(base.length + 1);
  return /^\d+$/.test(suffix) ? Number(suffix) : undefined;
}
