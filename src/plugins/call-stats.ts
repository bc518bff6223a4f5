import type { SerializedError } from "../errors";
import { toTaleError } from "../errors";

/** Counters and recent call times of one plugin, for `tale plugin list` and `tale status`. */
export interface CallStatsSnapshot {
  calls: number;
  failures: number;
  timeouts: number;
  /** Calls answered by a fallback without reaching the plugin because its breaker was open. */
  shortCircuited: number;
  /** Time of every call that reached the plugin, for a Prometheus summary's _sum. */
  totalMs: number;
  /** Over the last `window` calls that reached the plugin; null before the first. */
  avgMs: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  lastError: (SerializedError & { at: number }) | null;
}

const window = 1024;

export class CallStats {
  private calls = 0;
  private failures = 0;
  private timeouts = 0;
  private shortCircuited = 0;
  private totalMs = 0;
  private readonly durations = new Float64Array(window);
  private lastError: CallStatsSnapshot["lastError"] = null;

  succeeded(ms: number): void {
    this.durations[this.calls++ % window] = ms;
    this.totalMs += ms;
  }

  failed(ms: number, error: unknown): void {
    this.durations[this.calls++ % window] = ms;
    this.totalMs += ms;
    this.failures += 1;
    const taleError = toTaleError(error);
    if (taleError.details?.reason === "timeout") this.timeouts += 1;
    this.lastError = { ...taleError.toJSON(), at: Date.now() };
  }

  skipped(): void {
    this.shortCircuited += 1;
  }

  snapshot(): CallStatsSnapshot {
    const recent = Array.from(this.durations.subarray(0, Math.min(this.calls, window))).sort((a, b) => a - b);
    const at = (fraction: number) => (recent.length ? round(recent[Math.min(recent.length - 1, Math.ceil(fraction * recent.length) - 1)]!) : null);
    return {
      calls: this.calls,
      failures: this.failures,
      timeouts: this.timeouts,
      shortCircuited: this.shortCircuited,
      totalMs: round(this.totalMs),
      avgMs: recent.length ? round(recent.reduce((sum, ms) => sum + ms, 0) / recent.length) : null,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: at(1),
      lastError: this.lastError,
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
