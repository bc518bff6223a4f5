import type { FileSink, Subprocess } from "bun";
import { TaleError } from "../errors";

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

export interface SupervisedChild {
  readonly pid: number;
  /** Settles once the child is reaped and, for a group, the rest of its group was sent SIGKILL. */
  readonly exited: Promise<ExitInfo>;
  /** Aborts with an ENGINE_START_FAILED error when the child exits. */
  readonly exitSignal: AbortSignal;
  /** Polite then forceful: SIGTERM, and SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
  /** Synchronous SIGKILL, for process exit handlers. */
  killNow(): void;
}

export interface SuperviseChildOptions {
  engineId: string;
  /** The child leads its own process group (spawned detached); signal the whole group. */
  group: boolean;
  /** Closed first on stop: built-in engines exit by themselves on stdin EOF. */
  stdin?: FileSink;
}

export function superviseChild(proc: Subprocess, options: SuperviseChildOptions): SupervisedChild {
  const signalChild = (signal: NodeJS.Signals) => {
    try {
      if (options.group) process.kill(-proc.pid, signal);
      else proc.kill(signal);
    } catch {
      // Already gone (ESRCH): nothing left to signal.
    }
  };

  let alive = true;
  const exitController = new AbortController();
  const exited = proc.exited.then((code): ExitInfo => {
    alive = false;
    // A group leader that died may leave children holding the port; sweep them.
    if (options.group) signalChild("SIGKILL");
    const signal = proc.signalCode === null ? null : String(proc.signalCode);
    const info: ExitInfo = { code: signal ? null : code, signal };
    exitController.abort(
      new TaleError("ENGINE_START_FAILED", `Engine ${options.engineId} ${describeExit(info)} before it was ready.`),
    );
    return info;
  });

  return {
    pid: proc.pid,
    exited,
    exitSignal: exitController.signal,
    async stop(graceMs) {
      if (!alive) {
        await exited;
        return;
      }
      try {
        options.stdin?.end();
      } catch {
        // The pipe is already closed because the child is gone.
      }
      signalChild("SIGTERM");
      const timer = setTimeout(() => signalChild("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
    killNow: () => {
      if (alive) signalChild("SIGKILL");
    },
  };
}

export function describeExit(info: ExitInfo): string {
  return info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
}
