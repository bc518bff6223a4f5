import type { RoleStats, RouteInput } from "../plugins/hook-schema";
import { computeRouteFeatures, fallbackRoute } from "../routing";
import type { RouteDecision, RouteRequest, SchedulerOptions } from "./types";

/** Asks the routing policy (the router hook, else the built-in fallback) for a request's role. */
export async function routeRequest(request: RouteRequest, options: Pick<SchedulerOptions, "router" | "roleStats" | "pool">): Promise<RouteDecision> {
  const empty: RoleStats = { calls: 0, successRate: 1, p50LatencyMs: null };
  const input: RouteInput = {
    version: 1,
    task: { id: request.id ?? "", kind: request.kind },
    features: computeRouteFeatures({ prompt: request.prompt, messages: request.messages, maxTokens: request.maxTokens }),
    stats: options.roleStats?.() ?? { ux: empty, task: empty },
    engines: options.pool.engineIds(),
  };
  if (options.router) return options.router(input);
  const output = fallbackRoute(input);
  return { ...output, reason: output.reason ?? "", decidedBy: "fallback" };
}

/** A plugin's reason is its own text: kept short, and absent when nobody gave one. */
const maxRouteReasonChars = 200;
export function routeReasonOf(decision: RouteDecision): string | undefined {
  const reason = decision.reason.trim();
  return reason ? reason.slice(0, maxRouteReasonChars) : undefined;
}

