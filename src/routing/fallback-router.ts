import type { RouteInput, RouteOutput } from "../plugins/hook-schema";

/**
 * The built-in routing policy, in TypeScript: it decides when no routing
 * plugin is loaded or the plugin is switched off by its circuit breaker. The
 * default router plugin (plugins/router) applies the same rules in wasm.
 */
export const fallbackLimits = {
  /** Prompts longer than this need the large model's context and attention. */
  longPromptTokens: 150,
  /** Asking for more output than this is work, not a reply. */
  largeOutputTokens: 512,
} as const;

export function fallbackRoute(input: RouteInput): RouteOutput {
  const { features } = input;
  const { hints } = features;
  if (features.promptTokens > fallbackLimits.longPromptTokens) return { role: "task", reason: "long prompt" };
  if ((features.maxTokens ?? 0) > fallbackLimits.largeOutputTokens) return { role: "task", reason: "large output budget" };
  if (hints.code) return { role: "task", reason: "code" };
  if (hints.multiStep) return { role: "task", reason: "multi-step" };
  if (hints.workIntent) return { role: "task", reason: "work intent" };
  return { role: "ux", reason: features.conversational ? "conversation" : "simple question" };
}
