import type { RouteInput } from "../plugins/hook-schema";
import type { RouteDecision } from "./scheduler";

/** When one task's routing decision was asked for and answered. */
export interface RouteTiming {
  taskId: string;
  startedAt: number;
  endedAt: number;
  decision: RouteDecision;
}

/**
 * Wraps a router so each routing decision of a task reports its timing. A
 * task is written only after it is routed, so its own timestamps cannot show
 * how long routing took; tracing needs it. Requests without a task (a chat
 * turn being weighed) are not reported.
 */
export function timeRouting(
  router: (input: RouteInput) => Promise<RouteDecision>,
  onRouted: (timing: RouteTiming) => void,
): (input: RouteInput) => Promise<RouteDecision> {
  return async (input) => {
    const startedAt = Date.now();
    const decision = await router(input);
    if (input.task.id) onRouted({ taskId: input.task.id, startedAt, endedAt: Date.now(), decision });
    return decision;
  };
}
