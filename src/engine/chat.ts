import type { ChatHistoryItem } from "node-llama-cpp";
import { TaleError } from "../errors";
import type { ChatSlot, ModelHost } from "./model-host";

export interface ChatGeneration {
  maxTokens: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop: string[];
  signal: AbortSignal;
  /** Each piece of text as it is generated, with the tokens used so far. */
  onText?: (text: string, usage: ChatUsage) => void;
}

export type FinishReason = "stop" | "length";

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatOutcome {
  text: string;
  finishReason: FinishReason;
  usage: ChatUsage;
}

/** OpenAI's default; node-llama-cpp's own (0, greedy) would surprise OpenAI clients. */
const defaultTemperature = 1;

/** Tokens the history takes once rendered by the model's chat template. */
export function countPromptTokens(host: ModelHost, history: ChatHistoryItem[]): number {
  const { contextText } = host.chatWrapper.generateContextState({ chatHistory: history });
  return contextText.tokenize(host.model.tokenizer).length;
}

/**
 * Runs one completion on a slot. The sequence is cleared first so no request
 * sees another's tokens, and the history goes in as given, so there is no
 * hidden default system prompt.
 */
export async function generateChat(slot: ChatSlot, history: ChatHistoryItem[], generation: ChatGeneration): Promise<ChatOutcome> {
  await slot.sequence.clearHistory();
  const before = slot.sequence.tokenMeter.getState();
  let response;
  try {
    response = await slot.chat.generateResponse(history, {
      maxTokens: generation.maxTokens,
      temperature: generation.temperature ?? defaultTemperature,
      topP: generation.topP,
      seed: generation.seed,
      customStopTriggers: generation.stop,
      signal: generation.signal,
      stopOnAbortSignal: true,
      onTextChunk: generation.onText && ((text) => generation.onText!(text, usageOf(slot.sequence.tokenMeter.diff(before)))),
    });
  } catch (error) {
    if (generation.signal.aborted) throw new TaleError("CANCELLED", "The client went away before generation started.", { cause: error });
    throw error;
  }
  return {
    text: response.response,
    finishReason: response.metadata.stopReason === "maxTokens" ? "length" : "stop",
    usage: usageOf(slot.sequence.tokenMeter.diff(before)),
  };
}

function usageOf(used: { usedInputTokens: number; usedOutputTokens: number }): ChatUsage {
  return {
    // llama.cpp decodes the last prompt token with logits, so the meter books it as output;
    // the last generated token is never decoded, which evens out the output count.
    promptTokens: used.usedInputTokens + (used.usedOutputTokens > 0 ? 1 : 0),
    completionTokens: used.usedOutputTokens,
  };
}
