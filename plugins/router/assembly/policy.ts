import { JsonReader } from "./json-reader";

/**
 * The default routing rules, the same as src/routing/fallback-router.ts so
 * routing does not change when the circuit breaker hands over to the fallback:
 * long prompts, large output budgets, code, multi-step work and work intent
 * go to the large `task` model; short conversation and simple questions to
 * the fast `ux` model.
 */
export class RouteLimits {
  /** Prompts longer than this need the large model's context and attention. */
  longPromptTokens: f64 = 150;
  /** Asking for more output than this is work, not a reply. */
  largeOutputTokens: f64 = 512;
  /** Answer budget for a conversational turn whose caller set none; 0 leaves it unset. */
  conversationMaxTokens: f64 = 256;
}

export class RouteDecision {
  constructor(
    public role: string,
    public reason: string,
    /** 0 keeps the caller's budget. */
    public maxTokens: f64 = 0,
  ) {}
}

export function decideRoute(input: JsonReader, limits: RouteLimits): RouteDecision | null {
  const features = input.field(input.root(), "features");
  const promptTokens = input.number(input.field(features, "promptTokens"));
  if (isNaN(promptTokens)) return null;
  const requested = input.field(features, "maxTokens");
  const maxTokens = input.isNull(requested) ? 0 : input.number(requested);
  if (isNaN(maxTokens)) return null;
  const hints = input.field(features, "hints");

  if (promptTokens > limits.longPromptTokens) return new RouteDecision("task", "long prompt");
  if (maxTokens > limits.largeOutputTokens) return new RouteDecision("task", "large output budget");
  if (input.isTrue(input.field(hints, "code"))) return new RouteDecision("task", "code");
  if (input.isTrue(input.field(hints, "multiStep"))) return new RouteDecision("task", "multi-step");
  if (input.isTrue(input.field(hints, "workIntent"))) return new RouteDecision("task", "work intent");
  if (!input.isTrue(input.field(features, "conversational"))) return new RouteDecision("ux", "simple question");
  // A chat turn needs a short answer; capping it keeps a rambling small model from spending tokens nobody reads.
  const budget = input.isNull(requested) ? limits.conversationMaxTokens : 0;
  return new RouteDecision("ux", "conversation", budget);
}
