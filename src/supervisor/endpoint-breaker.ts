import { BrokenCircuitError, circuitBreaker, CircuitState as CockatielState, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from "cockatiel";
import { TaleError } from "../errors";
import type { CircuitState, CircuitView } from "./engine-circuit";
import { formatSeconds } from "../util/duration";

/**
 * A cockatiel circuit breaker per remote endpoint. Remote failures are
 * call-shaped (an HTTP 5xx, a dropped connection), which is what cockatiel's
 * breakers wrap: after `failures` such calls in a row the endpoint gets no
 * requests for `cooldownMs`, then one trial request closes or re-opens it.
 * Client mistakes, rate limits and cancellations say nothing about the
 * endpoint's health and do not count.
 */
export interface EndpointBreakerOptions {
  failures: number;
  cooldownMs: number;
  /** Called with the error the breaker opened on, already worded for the user. */
  onOpen?: (error: TaleError) => void;
  onClose?: () => void;
}

export interface EndpointBreaker extends CircuitView {
  /** Whether a request may be sent now (closed, or open with its cool-down over). */
  readonly admits: boolean;
  execute<T>(fn: () => Promise<T>): Promise<T>;
}

const counted = (error: unknown) => error instanceof TaleError && (error.code === "ENGINE_UNHEALTHY" || error.code === "ENGINE_CRASHED");

export function createEndpointBreaker(engineId: string, options: EndpointBreakerOptions): EndpointBreaker {
  const policy: CircuitBreakerPolicy = circuitBreaker(handleWhen(counted), {
    halfOpenAfter: options.cooldownMs,
    breaker: new ConsecutiveBreaker(options.failures),
  });
  let openedAt: number | undefined;
  let lastFailure: TaleError | undefined;
  const openError = () =>
    new TaleError(
      "ENGINE_UNHEALTHY",
      `Engine ${engineId} failed ${options.failures} requests in a row, so tale opened its circuit; one trial request follows in ${formatSeconds(options.cooldownMs)} s.${lastFailure ? ` Last failure: ${lastFailure.message}` : ""}`,
      {
        hint: "Check that the endpoint is up and answering (`tale status` shows its circuit); tale sends it requests again after the trial succeeds.",
        details: { circuit: "open" },
        cause: lastFailure,
      },
    );
  policy.onFailure(({ reason }) => {
    if ("error" in reason && counted(reason.error)) lastFailure = reason.error as TaleError;
  });
  policy.onBreak(() => {
    openedAt = Date.now();
    options.onOpen?.(openError());
  });
  policy.onReset(() => {
    openedAt = undefined;
    options.onClose?.();
  });
  const state = (): CircuitState => states[policy.state];
  return {
    get state() {
      return state();
    },
    get retryAt() {
      return policy.state === CockatielState.Open && openedAt !== undefined ? openedAt + options.cooldownMs : undefined;
    },
    get admits() {
      const retryAt = this.retryAt;
      return policy.state === CockatielState.Closed || (retryAt !== undefined && Date.now() >= retryAt);
    },
    async execute(fn) {
      try {
        return await policy.execute(fn);
      } catch (error) {
        // A request that met an open circuit (another one is the trial) is retryable like any unhealthy engine.
        if (error instanceof BrokenCircuitError) throw openError();
        throw error;
      }
    },
  };
}

const states: Record<CockatielState, CircuitState> = {
  [CockatielState.Closed]: "closed",
  [CockatielState.Open]: "open",
  [CockatielState.HalfOpen]: "half-open",
  [CockatielState.Isolated]: "open",
};
