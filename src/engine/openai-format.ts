import { errorClasses, type TaleError } from "../errors";
import type { ChatOutcome, ChatUsage, FinishReason } from "./chat";
import type { EngineErrorBody } from "./protocol";

/** What every chunk and the final object of one completion share. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

export function newCompletionIdentity(model: string): CompletionIdentity {
  return { id: `chatcmpl-${crypto.randomUUID().replaceAll("-", "")}`, created: Math.floor(Date.now() / 1000), model };
}

export function usageBody(usage: ChatUsage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

export function completionBody(identity: CompletionIdentity, outcome: ChatOutcome) {
  return {
    ...identity,
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", content: outcome.text }, finish_reason: outcome.finishReason }],
    usage: usageBody(outcome.usage),
  };
}

export interface ChunkDelta {
  role?: "assistant";
  content?: string;
}

export function chunkBody(identity: CompletionIdentity, delta: ChunkDelta, finishReason: FinishReason | null) {
  return { ...identity, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finishReason }] };
}

/** OpenAI sends usage in a last chunk with no choices when stream_options.include_usage is set. */
export function usageChunkBody(identity: CompletionIdentity, usage: ChatUsage) {
  return { ...identity, object: "chat.completion.chunk", choices: [], usage: usageBody(usage) };
}

export function errorBody(error: TaleError): EngineErrorBody {
  const type = errorClasses[error.code].status < 500 ? "invalid_request_error" : "server_error";
  return { error: { code: error.code, message: error.message, type, ...(error.hint ? { hint: error.hint } : {}) } };
}
