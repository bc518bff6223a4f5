import type { Role } from "../config/types";

/**
 * The built-in routing policy: cheap text features decide whether a request
 * needs the large task model. It is the fallback the routing plugin replaces.
 */
export interface RouteInput {
  prompt: string;
  maxTokens?: number;
}

const workIntent = /\b(write|build|implement|create|generate|analy[sz]e|refactor|debug|design|explain in detail|summari[sz]e|translate|plan|compare|prove|optimi[sz]e)\b/i;
const codeHint = /```|\b(function|class|def|import|SELECT|python|javascript|typescript|rust|sql|regex|script|code|api)\b|[{};]\s*$/im;
const multiStep = /\b(step[- ]by[- ]step|first\b.*\bthen\b|and then|multi-?step|\d+\.\s)/is;

export function routeByHeuristics(input: RouteInput): Role {
  const approxTokens = Math.ceil(input.prompt.length / 4);
  if (approxTokens > 150) return "task";
  if ((input.maxTokens ?? 0) > 512) return "task";
  if (codeHint.test(input.prompt) || multiStep.test(input.prompt)) return "task";
  if (workIntent.test(input.prompt)) return "task";
  return "ux";
}
