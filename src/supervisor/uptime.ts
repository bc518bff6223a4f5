/**
 * pm2's `min_uptime` for engines. A process proves itself by staying healthy
 * for `minUptimeMs` after it became ready. Once proven, its backoff starts
 * over, and its eventual death (a kill, an OOM, a bad request) is no part of
 * a crash loop: it restarts at once. A process that dies before that (at
 * start, or just after) counts toward the loop and backs off, so an engine
 * that cannot stay up still has its circuit opened within a few attempts.
 */
export interface UptimeProof {
  /** The engine is healthy since `healthySince()`: the proof comes once that has lasted long enough. */
  healthy(healthySince: () => number | undefined): void;
  /** The process is gone: whether it had proved itself. The next process starts unproven. */
  end(healthySince: number | undefined, now: number): boolean;
  stop(): void;
}

/** pm2's default: a second of healthy uptime tells a process killed while serving from one that cannot get going. */
export const defaultMinUptimeMs = 1000;

export function createUptimeProof(minUptimeMs: number, onProven: () => void): UptimeProof {
  let proven = false;
  let timer: Timer | undefined;
  const lastedSince = (since: number | undefined, now: number) => since !== undefined && now - since >= minUptimeMs;
  const prove = () => {
    proven = true;
    onProven();
  };
  const stop = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  return {
    healthy(healthySince) {
      if (proven || timer) return;
      const since = healthySince() ?? Date.now();
      // A health blip in between restarts the clock: the next healthy report arms the timer again.
      timer = setTimeout(() => {
        timer = undefined;
        if (lastedSince(healthySince(), Date.now())) prove();
      }, Math.max(0, since + minUptimeMs - Date.now()));
    },
    end(healthySince, now) {
      stop();
      // The timer may not have fired yet on a busy event loop; the healthy period itself is what counts.
      const wasProven = proven || lastedSince(healthySince, now);
      proven = false;
      return wasProven;
    },
    stop,
  };
}
