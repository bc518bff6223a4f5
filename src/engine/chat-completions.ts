import { readJson } from "../api/validate";
import { TaleError, toTaleError } from "../errors";
import { countPromptTokens, generateChat, type ChatGeneration } from "./chat";
import { parseChatCompletionRequest, type ChatCompletionRequest } from "./chat-request";
import type { ChatSlot, ModelHost } from "./model-host";
import { chunkBody, completionBody, errorBody, newCompletionIdentity, usageBody, usageChunkBody, type CompletionIdentity } from "./openai-format";
import type { SlotLease } from "./slot-pool";

export interface ChatCompletionsContext {
  host: ModelHost;
  modelId: string;
  defaultMaxTokens: number;
  /** Generations in flight, so shutdown can stop them. */
  active: Set<AbortController>;
}

/** POST /v1/chat/completions: validate, check the prompt fits, wait for a slot, generate. */
export async function handleChatCompletions(request: Request, context: ChatCompletionsContext): Promise<Response> {
  const parsed = parseChatCompletionRequest(await readJson(request));
  const maxTokens = planMaxTokens(parsed, context);
  const abort = new AbortController();
  const onClientGone = () => abort.abort();
  request.signal.addEventListener("abort", onClientGone, { once: true });
  context.active.add(abort);
  const forget = () => {
    request.signal.removeEventListener("abort", onClientGone);
    context.active.delete(abort);
  };
  let lease: SlotLease<ChatSlot>;
  try {
    lease = await context.host.pool.acquire(abort.signal);
  } catch (error) {
    forget();
    throw error;
  }
  const run: CompletionRun = {
    lease,
    request: parsed,
    identity: newCompletionIdentity(context.modelId),
    generation: { maxTokens, temperature: parsed.temperature, topP: parsed.topP, seed: parsed.seed, stop: parsed.stop, signal: abort.signal },
    abort,
    finish() {
      lease.release();
      forget();
    },
  };
  return parsed.stream ? streamCompletion(run) : await answerCompletion(run);
}

/**
 * Caps max_tokens to the room the prompt leaves, so a generation never runs
 * past the context (node-llama-cpp would otherwise shift it and drop the
 * start of the conversation).
 */
function planMaxTokens(request: ChatCompletionRequest, context: ChatCompletionsContext): number {
  const { host } = context;
  const promptTokens = countPromptTokens(host, request.history);
  const room = host.contextSize - promptTokens;
  if (room < 1) {
    throw new TaleError("CONTEXT_OVERFLOW", `The prompt is ${promptTokens} tokens but this engine's context holds ${host.contextSize} tokens per request.`, {
      hint: `Shorten the messages, or raise contextSize for this engine (the model was trained for ${host.model.trainContextSize} tokens).`,
      details: { promptTokens, contextSize: host.contextSize },
    });
  }
  return Math.min(request.maxTokens ?? context.defaultMaxTokens, room);
}

interface CompletionRun {
  lease: SlotLease<ChatSlot>;
  request: ChatCompletionRequest;
  identity: CompletionIdentity;
  generation: ChatGeneration;
  abort: AbortController;
  /** Frees the slot and forgets the run; the slot goes back the moment generation stops. */
  finish(): void;
}

async function answerCompletion(run: CompletionRun): Promise<Response> {
  try {
    const outcome = await generateChat(run.lease.slot, run.request.history, run.generation);
    return Response.json(completionBody(run.identity, outcome));
  } finally {
    run.finish();
  }
}

function streamCompletion(run: CompletionRun): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      // Once the client is gone the stream is closed and enqueue would throw inside node-llama-cpp's callback.
      const send = (data: unknown) => {
        if (!run.abort.signal.aborted) controller.enqueue(encoder.encode(`data: ${JSON.stringify(data)}\n\n`));
      };
      try {
        send(chunkBody(run.identity, { role: "assistant", content: "" }, null));
        const outcome = await generateChat(run.lease.slot, run.request.history, {
          ...run.generation,
          // With include_usage, every chunk carries the tokens used so far, so a client that cuts the
          // stream short (the daemon cancelling a task) still knows what the generation cost.
          onText: (text, usage) => {
            if (text) send({ ...chunkBody(run.identity, { content: text }, null), ...(run.request.includeUsage ? { usage: usageBody(usage) } : {}) });
          },
        });
        send(chunkBody(run.identity, {}, outcome.finishReason));
        if (run.request.includeUsage) send(usageChunkBody(run.identity, outcome.usage));
        if (!run.abort.signal.aborted) controller.enqueue(encoder.encode("data: [DONE]\n\n"));
      } catch (error) {
        send(errorBody(toTaleError(error)));
      } finally {
        run.finish();
        if (!run.abort.signal.aborted) controller.close();
      }
    },
    cancel() {
      run.abort.abort();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" },
  });
}
