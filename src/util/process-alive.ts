import { readFileSync } from "node:fs";

/**
 * Whether a process still runs. A zombie counts as gone: it runs no code and
 * holds no port, and orphans reparented to pid 1 are never reaped in some
 * containers, so `kill(pid, 0)` alone would call them alive forever.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    // No /proc (not Linux): trust the signal check above.
    return process.platform !== "linux";
  }
}
