import { TaleError } from "../errors";

/**
 * The life of one engine as a pure state machine. The supervisor only moves
 * an engine through `transition`, so an impossible sequence (a health result
 * for an engine that is being stopped, a second start) is a loud bug instead
 * of a silently wrong status.
 */
export type EngineState =
  | "stopped"
  | "starting"
  | "healthy"
  | "unhealthy"
  | "crashed"
  | "backoff"
  | "stopping"
  | "failed";

export type EngineEvent =
  | "start"
  | "ready"
  | "healthOk"
  | "healthFail"
  | "exited"
  | "retry"
  | "giveUp"
  | "halfOpen"
  | "backoffElapsed"
  | "stop"
  | "stopped";

export const engineStates: readonly EngineState[] = [
  "stopped",
  "starting",
  "healthy",
  "unhealthy",
  "crashed",
  "backoff",
  "stopping",
  "failed",
];

export const engineEvents: readonly EngineEvent[] = [
  "start",
  "ready",
  "healthOk",
  "healthFail",
  "exited",
  "retry",
  "giveUp",
  "halfOpen",
  "backoffElapsed",
  "stop",
  "stopped",
];

const transitions: Record<EngineState, Partial<Record<EngineEvent, EngineState>>> = {
  stopped: { start: "starting" },
  // healthFail while starting is how a remote endpoint that is down at startup
  // is reported: it has no process to wait for, only reachability.
  starting: { ready: "healthy", healthFail: "unhealthy", exited: "crashed", stop: "stopping" },
  healthy: { healthOk: "healthy", healthFail: "unhealthy", exited: "crashed", stop: "stopping" },
  // giveUp while unhealthy: a remote endpoint (no process to restart) that stopped answering opens its circuit.
  unhealthy: { healthOk: "healthy", healthFail: "unhealthy", exited: "crashed", giveUp: "failed", stop: "stopping" },
  crashed: { retry: "backoff", giveUp: "failed", stop: "stopping" },
  backoff: { backoffElapsed: "starting", stop: "stopping" },
  stopping: { stopped: "stopped" },
  // "failed" is an open circuit: after its cool-down one trial start is made.
  failed: { halfOpen: "starting", stop: "stopping" },
};

export function canTransition(state: EngineState, event: EngineEvent): boolean {
  return transitions[state][event] !== undefined;
}

export function transition(state: EngineState, event: EngineEvent): EngineState {
  const next = transitions[state][event];
  if (!next) {
    throw new TaleError("INTERNAL", `Engine state machine: "${event}" is not allowed in state "${state}".`, {
      details: { state, event },
    });
  }
  return next;
}
