import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from "cockatiel";
import { TaleError } from "../errors";

/**
 * A cockatiel circuit breaker per plugin: after `failures` plugin failures in
 * a row (errors, traps, timeouts, kills, bad output) calls stop reaching the
 * plugin; after `cooldownMs` one trial call goes through, and its outcome
 * closes the breaker or opens it for another cool-down. Cancelled calls, and
 * calls turned away while the host restarts, say nothing about the plugin and
 * do not count.
 */
export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  failures: number;
  cooldownMs: number;
}

export interface PluginBreaker {
  readonly state: BreakerState;
  /** Runs `fn` unless the breaker is open; then it throws a PLUGIN_FAILED error with details.reason "breaker-open". */
  execute<T>(fn: () => Promise<T>): Promise<T>;
  /** What a call turned away by the open breaker fails with. */
  openError(): TaleError;
  onOpen(listener: () => void): void;
  onClose(listener: () => void): void;
  dispose(): void;
}

export function createPluginBreaker(label: string, options: BreakerOptions): PluginBreaker {
  const policy: CircuitBreakerPolicy = circuitBreaker(
    handleWhen((error) => error instanceof TaleError && error.code === "PLUGIN_FAILED" && error.details?.reason !== "restarting"),
    { halfOpenAfter: options.cooldownMs, breaker: new ConsecutiveBreaker(options.failures) },
  );
  const disposers: { dispose(): void }[] = [];
  const openError = () =>
    new TaleError("PLUGIN_FAILED", `${label} is switched off after ${options.failures} failures in a row; built-in policies stand in until a trial call succeeds.`, {
      hint: `tale tries it again ${Math.round(options.cooldownMs / 1000)} s after it opened; \`tale plugin list\` shows its last error.`,
      details: { reason: "breaker-open" },
    });
  return {
    get state() {
      return states[policy.state];
    },
    async execute(fn) {
      // cockatiel makes callers wait for a half-open trial; a fallback answering now is better than a late plugin answer.
      if (policy.state === CircuitState.HalfOpen) throw openError();
      try {
        return await policy.execute(fn);
      } catch (error) {
        if (error instanceof BrokenCircuitError) throw openError();
        throw error;
      }
    },
    openError,
    onOpen(listener) {
      disposers.push(policy.onBreak(listener));
    },
    onClose(listener) {
      disposers.push(policy.onReset(listener));
    },
    dispose() {
      for (const disposer of disposers.splice(0)) disposer.dispose();
    },
  };
}

const states: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half-open",
  [CircuitState.Isolated]: "open",
};
