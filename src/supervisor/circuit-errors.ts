import { TaleError } from "../errors";
import { formatSeconds } from "../util/duration";
import type { CircuitPolicy } from "./engine-circuit";
import type { EngineHandle } from "./engine-handle";
import { redactUrl } from "./redact-url";

// The errors an engine's circuit opens with: what happened, when tale tries again, and what the user can do meanwhile.

export interface OpenedFacts {
  /** The failure ended a half-open trial start. */
  trial: boolean;
  hopeless: boolean;
  crashes: number;
  policy: CircuitPolicy;
}

/** Why an engine process's circuit opened. */
export function openedError(engineId: string, error: TaleError, facts: OpenedFacts): TaleError {
  const { policy } = facts;
  const retryIn = `${formatSeconds(policy.cooldownMs)} s`;
  const why = facts.trial
    ? `failed its trial start after the cool-down`
    : facts.hopeless
      ? `cannot start`
      : `failed ${facts.crashes} time${facts.crashes === 1 ? "" : "s"} within ${formatSeconds(policy.windowMs)} s`;
  const message = `Engine ${engineId} ${why}, so tale opened its circuit and stopped restarting it; one trial start follows in ${retryIn}. Last failure: ${error.message}`;
  const hint =
    error.hint ??
    `Read TALE_HOME/logs/engine-${engineId}.log, fix the engine's command, model or port, then \`tale down && tale up\` (or wait for the trial start); \`tale explain ${error.code}\` says more.`;
  return new TaleError(error.code, message, { hint, details: { ...error.details, circuit: "open", crashes: facts.crashes, cooldownMs: policy.cooldownMs }, cause: error });
}

/** Why a remote endpoint's circuit opened: it stopped answering. */
export function endpointDownError(handle: EngineHandle, cause: TaleError, probeEveryMs: number): TaleError {
  const where = handle.baseUrl ? redactUrl(handle.baseUrl) : "its endpoint";
  const other = handle.role === "task" ? "ux" : "task";
  return new TaleError(
    "ENGINE_UNAVAILABLE",
    `Engine ${handle.id} (${where}) is not answering: ${cause.message} tale opened its circuit and checks it again every ${formatSeconds(probeEveryMs)} s.`,
    {
      hint:
        cause.hint ??
        `Start the server at ${where} or fix models.${handle.role}.baseUrl; tale sends it work again as soon as it answers. To serve ${handle.role} requests meanwhile, set supervisor.fallback to { "${handle.role}": "${other}" }.`,
      details: { circuit: "open", endpoint: where },
      cause,
    },
  );
}

/** A failure that restarting cannot fix (missing model file, port taken): give up at once. */
export function isHopeless(error: TaleError): boolean {
  return !error.retryable || (error.cause instanceof TaleError && !error.cause.retryable);
}
