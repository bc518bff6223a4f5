import type { ChatHistoryItem } from "node-llama-cpp";
import * as v from "valibot";
import { maxTokensField, seedField } from "../api/fields";
import { parseBody } from "../api/validate";

const unitInterval = (what: string) =>
  v.pipe(v.number(`${what} must be a number`), v.minValue(0, `${what} must be at least 0`), v.maxValue(1, `${what} must be at most 1`));

/** OpenAI clients may send content as a list of parts; only text parts mean anything to a text model. */
const textPart = v.object({
  type: v.literal("text", 'only "text" content parts are supported'),
  text: v.string("must be a string"),
});

const message = v.object({
  role: v.picklist(["system", "developer", "user", "assistant"], 'must be "system", "developer", "user" or "assistant"'),
  content: v.union([v.string(), v.array(textPart)], "must be a string or an array of text parts"),
});

const stop = v.union(
  [v.string(), v.pipe(v.array(v.string("must be a string")), v.maxLength(4, "must have at most 4 stop sequences"))],
  "must be a string or an array of strings",
);

/** The OpenAI chat completion fields the engine honours; unknown fields are ignored, as OpenAI servers do. */
export const chatCompletionRequestSchema = v.object({
  model: v.nullish(v.string("must be a string")),
  messages: v.pipe(v.array(message, "must be an array of messages"), v.minLength(1, "must have at least one message")),
  max_tokens: v.nullish(maxTokensField("max_tokens")),
  max_completion_tokens: v.nullish(maxTokensField("max_completion_tokens")),
  temperature: v.nullish(v.pipe(v.number("must be a number"), v.minValue(0, "must be at least 0"), v.maxValue(2, "must be at most 2"))),
  top_p: v.nullish(unitInterval("top_p")),
  seed: v.nullish(seedField),
  stop: v.nullish(stop),
  stream: v.nullish(v.boolean("must be true or false")),
  stream_options: v.nullish(v.object({ include_usage: v.nullish(v.boolean("must be true or false")) })),
});

export type ChatCompletionRequestBody = v.InferOutput<typeof chatCompletionRequestSchema>;

/** A validated request in the engine's own terms. */
export interface ChatCompletionRequest {
  history: ChatHistoryItem[];
  /** Undefined when the client left it to the engine's default. */
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
}

export function parseChatCompletionRequest(body: unknown): ChatCompletionRequest {
  const parsed = parseBody(chatCompletionRequestSchema, body);
  return {
    history: toChatHistory(parsed.messages),
    maxTokens: parsed.max_completion_tokens ?? parsed.max_tokens ?? undefined,
    temperature: parsed.temperature ?? undefined,
    topP: parsed.top_p ?? undefined,
    seed: parsed.seed ?? undefined,
    stop: parsed.stop === null || parsed.stop === undefined ? [] : [parsed.stop].flat().filter((text) => text.length > 0),
    stream: parsed.stream ?? false,
    includeUsage: parsed.stream_options?.include_usage ?? false,
  };
}

/**
 * Maps OpenAI messages onto node-llama-cpp's history. A trailing assistant
 * message is continued (prefill), as llama-server does; otherwise an empty
 * model turn is added for the answer.
 */
function toChatHistory(messages: ChatCompletionRequestBody["messages"]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((item) => {
    const text = typeof item.content === "string" ? item.content : item.content.map((part) => part.text).join("");
    if (item.role === "user") return { type: "user", text };
    if (item.role === "assistant") return { type: "model", response: [text] };
    return { type: "system", text };
  });
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}
