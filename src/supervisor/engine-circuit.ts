import { isCrashLoop, recordCrash, type CrashLimit } from "./crash-window";

/**
 * The circuit of one engine process. A crash loop (or a failure restarting
 * cannot fix) opens it: no more restarts. After `cooldownMs` it goes half-open
 * and the runner tries exactly one start; becoming healthy closes it, any
 * failure before that opens it again for another cool-down.
 *
 * Hand-written rather than a cockatiel breaker: cockatiel's breakers wrap
 * calls and move to half-open lazily on the next call, while an engine's
 * failures arrive as process exits long after its start "call" returned, and
 * the half-open trial has to be started actively by a timer.
 */
export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitPolicy extends CrashLimit {
  /** Time an open circuit waits before its one trial start. */
  cooldownMs: number;
}

/** What status shows of any circuit: an engine process's or a remote endpoint's. */
export interface CircuitView {
  readonly state: CircuitState;
  /** When an open circuit allows its trial; undefined unless open. */
  readonly retryAt: number | undefined;
}

export interface EngineCircuit extends CircuitView {
  /** Crashes inside the window, the last one included. */
  readonly crashCount: number;
  /**
   * Records a failure and says whether the engine may be restarted ("closed")
   * or not ("open"). `retryInMs` overrides the cool-down of the circuit it opens.
   */
  recordFailure(now: number, options?: { hopeless?: boolean; retryInMs?: number }): CircuitState;
  /** The engine became healthy: a half-open circuit closes and the crash history is forgotten. */
  recordHealthy(): void;
  /** The cool-down is over: one trial start may go ahead. */
  halfOpen(): void;
}

export function createEngineCircuit(policy: CircuitPolicy): EngineCircuit {
  let state: CircuitState = "closed";
  let crashTimes: number[] = [];
  let retryAt: number | undefined;
  return {
    get state() {
      return state;
    },
    get crashCount() {
      return crashTimes.length;
    },
    get retryAt() {
      return retryAt;
    },
    recordFailure(now, options = {}) {
      crashTimes = recordCrash(crashTimes, now, policy);
      if (state === "half-open" || options.hopeless || isCrashLoop(crashTimes, policy)) {
        state = "open";
        retryAt = now + (options.retryInMs ?? policy.cooldownMs);
      }
      return state;
    },
    recordHealthy() {
      if (state === "open") return;
      if (state === "half-open") crashTimes = [];
      state = "closed";
    },
    halfOpen() {
      if (state !== "open") return;
      state = "half-open";
      retryAt = undefined;
    },
  };
}
