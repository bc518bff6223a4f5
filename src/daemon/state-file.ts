import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";

/** What a running daemon tells clients about itself. */
export interface DaemonState {
  pid: number;
  port: number;
  host: string;
  startedAt: number;
  version: string;
}

export function writeDaemonState(file: string, state: DaemonState): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
  renameSync(temporary, file);
}

export function readDaemonState(file: string): DaemonState | undefined {
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as DaemonState;
    return typeof state.pid === "number" && typeof state.port === "number" ? state : undefined;
  } catch {
    return undefined;
  }
}

export function removeDaemonState(file: string, pid: number): void {
  // Only the daemon that wrote the file may remove it; a newer one may own it now.
  if (readDaemonState(file)?.pid === pid) rmSync(file, { force: true });
}

export { isProcessRunning as isAlive } from "../util/process-alive";
