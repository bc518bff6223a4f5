import { fstatSync } from "node:fs";

export interface LifelineOptions {
  /** Called once, with why the engine should stop. */
  onLost(reason: string): void;
  /** How often to check whether the parent process changed. */
  parentPollMs?: number;
  /**
   * Off for an engine a person or another supervisor (pm2, systemd) starts:
   * there the parent is often a shell that exits at once, and losing it is
   * no reason to stop. Default on.
   */
  watchParent?: boolean;
}

/**
 * Ties the engine's life to its parent: the supervisor holds our stdin pipe,
 * so EOF there means it died or let go; a changed parent pid means we were
 * orphaned (unless `watchParent` is off). SIGTERM and SIGINT stop the engine
 * too. Returns a function that stops watching.
 */
export function watchLifeline(options: LifelineOptions): () => void {
  let lost = false;
  const lose = (reason: string) => {
    if (lost) return;
    lost = true;
    options.onLost(reason);
  };
  const cleanups: (() => void)[] = [];

  if (stdinIsPipe()) {
    const onEnd = () => lose("stdin closed");
    const ignore = () => {};
    process.stdin.on("data", ignore);
    process.stdin.on("end", onEnd);
    process.stdin.on("close", onEnd);
    process.stdin.resume();
    cleanups.push(() => {
      process.stdin.off("data", ignore);
      process.stdin.off("end", onEnd);
      process.stdin.off("close", onEnd);
      process.stdin.pause();
    });
  }

  if (options.watchParent ?? true) {
    const parentPid = process.ppid;
    const timer = setInterval(() => {
      if (process.ppid !== parentPid) lose(`parent process ${parentPid} went away`);
    }, options.parentPollMs ?? 500);
    timer.unref();
    cleanups.push(() => clearInterval(timer));
  }

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const onSignal = () => lose(signal);
    process.on(signal, onSignal);
    cleanups.push(() => process.off(signal, onSignal));
  }

  return () => {
    for (const cleanup of cleanups) cleanup();
  };
}

/**
 * Only a pipe or socket on stdin is a lifeline: a terminal means a person runs
 * the engine by hand, and /dev/null (a detached start) reaches EOF at once.
 */
function stdinIsPipe(): boolean {
  try {
    const stats = fstatSync(0);
    return stats.isFIFO() || stats.isSocket();
  } catch {
    return false;
  }
}
