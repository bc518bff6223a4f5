import type { RouteInput } from "../plugins/hook-schema";

/**
 * The cheap text features every routing decision sees. Computed in
 * microseconds from the request alone, so routing never waits on a model.
 */
export interface FeatureSource {
  prompt: string;
  messages?: { role: string; content: string }[];
  maxTokens?: number;
}

const workIntent = /\b(write|build|implement|create|generate|develop|analy[sz]e|refactor|debug|fix|design|summari[sz]e|translate|plan|compare|prove|optimi[sz]e|convert|document|review|research|draft)\b/i;
const codeHint = /```|\b(function|class|def|import|select|python|javascript|typescript|rust|golang|java|sql|regex|script|code|api|json|yaml|html|css|bash|algorithm|compile|bug)\b|[{};]\s*$/im;
const multiStep = /\b(step[- ]by[- ]step|steps|first\b[\s\S]*\bthen\b|and then|after that|finally|multi-?step|pipeline|end[- ]to[- ]end)\b|^\s*\d+[.)]\s/im;
const question = /\?\s*$|^\s*(what|who|when|where|why|how|is|are|can|could|do|does|did|will|would|should)\b/i;

/** Characters per token for English text with the common tokenizers; an estimate is all routing needs. */
const charsPerToken = 4;

export function computeRouteFeatures(source: FeatureSource): RouteInput["features"] {
  const messages = source.messages ?? [{ role: "user", content: source.prompt }];
  const totalChars = messages.reduce((sum, message) => sum + message.content.length, 0);
  const hints = {
    code: codeHint.test(source.prompt),
    multiStep: multiStep.test(source.prompt),
    workIntent: workIntent.test(source.prompt),
    question: question.test(source.prompt),
  };
  // History makes a conversation long without making the request harder.
  const promptTokens = Math.ceil(source.prompt.length / charsPerToken);
  return {
    promptTokens,
    contextTokens: Math.ceil(totalChars / charsPerToken),
    messages: messages.length,
    conversational: promptTokens <= 60 && !hints.code && !hints.multiStep && !hints.workIntent,
    hints,
    maxTokens: source.maxTokens ?? null,
  };
}
