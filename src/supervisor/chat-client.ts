import { TaleError, type ErrorCode } from "../errors";
import { readServerSentEvents } from "../util/sse";

/**
 * Talks to any OpenAI-compatible engine. Requests always stream, so the
 * scheduler sees the first token (for time-to-first-token and live output)
 * the same way for builtin, process and remote engines.
 */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatResult {
  content: string;
  usage: ChatUsage;
  finishReason: string;
}

export interface ChatTarget {
  baseUrl: string;
  model: string;
  apiKey?: string;
}

export interface ChatCallOptions {
  signal?: AbortSignal;
  onDelta?: (text: string) => void;
  /**
   * Longest silence allowed before the headers and between stream events; a
   * hung engine then fails the attempt as ENGINE_UNHEALTHY (retryable)
   * instead of holding the task until its deadline. 0 or absent: no limit.
   */
  idleTimeoutMs?: number;
  /**
   * The tokens used so far, after every chunk: what the engine reports when
   * it sends running usage (tale's engine does), else the chunks counted as
   * completion tokens. An attempt cut short books the last value.
   */
  onUsage?: (usage: ChatUsage) => void;
}

export async function streamChat(target: ChatTarget, request: ChatRequest, options: ChatCallOptions = {}): Promise<ChatResult> {
  const idle = idleWatch(target, options.idleTimeoutMs);
  try {
    return await streamChatOnce(target, request, { ...options, signal: options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal }, idle.touch);
  } catch (error) {
    // The caller's own abort wins; only a silence that we cut short is the engine's fault.
    if (idle.fired && !options.signal?.aborted) throw idle.error();
    throw error;
  } finally {
    idle.stop();
  }
}

interface IdleWatch {
  signal: AbortSignal;
  readonly fired: boolean;
  touch(): void;
  stop(): void;
  error(): TaleError;
}

function idleWatch(target: ChatTarget, idleTimeoutMs: number | undefined): IdleWatch {
  const controller = new AbortController();
  let fired = false;
  let timer: Timer | undefined;
  const touch = () => {
    if (!idleTimeoutMs) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      fired = true;
      controller.abort();
    }, idleTimeoutMs);
  };
  touch();
  return {
    signal: controller.signal,
    get fired() {
      return fired;
    },
    touch,
    stop: () => clearTimeout(timer),
    error: () =>
      new TaleError("ENGINE_UNHEALTHY", `Engine at ${target.baseUrl} sent nothing for ${idleTimeoutMs} ms, so tale gave up on the request.`, {
        hint: "The engine may be hung or overloaded; tale checks it and retries the task. Raise supervisor.requestIdleTimeoutMs if long prompts need more time before the first token.",
        details: { idleTimeoutMs },
      }),
  };
}

async function streamChatOnce(target: ChatTarget, request: ChatRequest, options: ChatCallOptions, touch: () => void): Promise<ChatResult> {
  const response = await post(target, request, options.signal);
  touch();
  if (!response.ok) throw await errorFromResponse(response, target);
  if (!response.body) throw new TaleError("ENGINE_UNHEALTHY", `Engine at ${target.baseUrl} sent an empty response.`);

  let content = "";
  let finishReason = "stop";
  let usage: ChatUsage | undefined;
  let chunks = 0;
  try {
    for await (const { data } of readServerSentEvents(response.body)) {
      touch();
      if (data === "[DONE]") break;
      const chunk = parseChunk(data, target);
      const choice = chunk.choices?.[0];
      const delta = choice?.delta?.content;
      if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens ?? 0, completionTokens: chunk.usage.completion_tokens ?? 0 };
      if (delta) {
        chunks++;
        content += delta;
        options.onUsage?.(usage ?? { promptTokens: 0, completionTokens: chunks });
        options.onDelta?.(delta);
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
    }
  } catch (error) {
    throw connectionError(error, target, options.signal);
  }
  return { content, finishReason, usage: usage ?? { promptTokens: 0, completionTokens: 0 } };
}

async function post(target: ChatTarget, request: ChatRequest, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
  const body = {
    model: target.model,
    messages: request.messages,
    stream: true,
    stream_options: { include_usage: true },
    ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { top_p: request.topP } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.stop?.length ? { stop: request.stop } : {}),
  };
  try {
    return await fetch(`${target.baseUrl}/chat/completions`, { method: "POST", headers, body: JSON.stringify(body), signal });
  } catch (error) {
    throw connectionError(error, target, signal);
  }
}

interface CompletionChunk {
  choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

function parseChunk(data: string, target: ChatTarget): CompletionChunk {
  try {
    return JSON.parse(data) as CompletionChunk;
  } catch {
    throw new TaleError("ENGINE_UNHEALTHY", `Engine at ${target.baseUrl} sent a malformed stream event.`, {
      details: { event: data.slice(0, 200) },
    });
  }
}

async function errorFromResponse(response: Response, target: ChatTarget): Promise<TaleError> {
  const text = await response.text().catch(() => "");
  let parsed: { error?: { code?: string; message?: string; hint?: string } } = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not every server answers errors in JSON; keep the status alone.
  }
  const engineCode = parsed.error?.code;
  const message = parsed.error?.message ?? `Engine at ${target.baseUrl} answered HTTP ${response.status}.`;
  const retryAfter = response.headers.get("retry-after");
  const details = { status: response.status, ...(retryAfter ? { retryAfter } : {}) };
  const known: ErrorCode[] = ["CONTEXT_OVERFLOW", "BAD_REQUEST"];
  if (engineCode && (known as string[]).includes(engineCode)) {
    return new TaleError(engineCode as ErrorCode, message, { hint: parsed.error?.hint, details });
  }
  if (response.status === 429) return new TaleError("RATE_LIMITED", message, { details, hint: "The endpoint is rate limiting; tale backs off and retries." });
  if (response.status === 401 || response.status === 403) {
    return new TaleError("AUTH", `Engine at ${target.baseUrl} refused the API key (HTTP ${response.status}).`, {
      hint: "Check the apiKey or apiKeyEnv of this engine in your tale config.",
    });
  }
  if (response.status >= 400 && response.status < 500) return new TaleError("BAD_REQUEST", message, { details });
  return new TaleError("ENGINE_UNHEALTHY", message, { details });
}

function connectionError(error: unknown, target: ChatTarget, signal?: AbortSignal): TaleError {
  if (error instanceof TaleError) return error;
  if (signal?.aborted) return new TaleError("CANCELLED", "The request was aborted.", { cause: error });
  return new TaleError("ENGINE_CRASHED", `Lost the connection to the engine at ${target.baseUrl}.`, {
    hint: "The engine process may have crashed; tale restarts it and retries the task.",
    cause: error,
  });
}
