import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { Role } from "../config/types";
import { TaleError } from "../errors";
import { isFinal, type Scheduler } from "../scheduler";
import type { Task } from "../store";
import { chatCompletionSchema, type ChatCompletionBody } from "./schemas";
import { parseBody, readJson } from "./validate";

/** Model names an OpenAI client may send: the roles, and "auto"/"tale" for routing. A Map, so "constructor" is just an unknown name. */
const modelAliases = new Map<string, Role | "auto">([
  ["ux", "ux"],
  ["task", "task"],
  ["auto", "auto"],
  ["tale", "auto"],
]);

export function openaiRoutes(scheduler: Scheduler): Hono {
  const app = new Hono();

  app.get("/models", (c) =>
    c.json({
      object: "list",
      data: [...modelAliases.keys()].map((id) => ({ id, object: "model", created: 0, owned_by: "tale" })),
    }),
  );

  app.post("/chat/completions", async (c) => {
    const body = parseBody(chatCompletionSchema, await readJson(c.req.raw));
    const task = await scheduler.submit(toSubmitInput(body));
    const id = `chatcmpl-${task.id}`;
    const created = Math.floor(task.createdAt / 1000);
    const model = body.model ?? "auto";

    if (!body.stream) {
      const done = await waitUnlessGone(scheduler, task.id, c.req.raw.signal);
      if (done.status !== "succeeded") throw taskFailure(done);
      return c.json({
        id,
        object: "chat.completion",
        created,
        model,
        choices: [{ index: 0, message: { role: "assistant", content: done.output ?? "" }, finish_reason: done.finishReason ?? "stop" }],
        usage: usageOf(done),
        tale: { task_id: done.id, role: done.role, engine: done.engine, model: done.model },
      });
    }

    return streamSSE(c, async (stream) => {
      const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
        stream.writeSSE({ data: JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] }) });

      // A client that goes away no longer wants the answer; free the engine slot.
      stream.onAbort(() => void scheduler.cancel(task.id));
      // A retry is invisible until the client has seen part of an answer; after that a second
      // answer would be spliced onto the first, so the stream ends with an error instead.
      let sentContent = false;
      let brokenMidAnswer: TaleError | undefined;
      const finished = new Promise<Task>((resolve) => {
        const unsubscribe = scheduler.watch(task.id, (event) => {
          if (event.type === "delta") {
            sentContent = true;
            void chunk({ content: event.text });
          }
          if (event.type === "retry" && sentContent) {
            unsubscribe();
            brokenMidAnswer = new TaleError("ENGINE_CRASHED", "The engine failed after part of the answer was streamed; the text above is incomplete.", {
              hint: "Send the request again; tale restarts failed engines by itself.",
            });
            void scheduler.cancel(task.id);
            resolve(scheduler.get(task.id));
          }
          if (event.type === "done") {
            unsubscribe();
            resolve(event.task);
          }
        });
      });
      await chunk({ role: "assistant", content: "" });
      // The task may have ended before the subscription above was made.
      const current = scheduler.get(task.id);
      const done = isFinal(current.status) ? current : await finished;
      if (brokenMidAnswer || done.status !== "succeeded") {
        const error = brokenMidAnswer ?? taskFailure(done);
        await stream.writeSSE({ data: JSON.stringify({ error: { ...error.toJSON(), type: "tale_error" } }) });
      } else {
        await chunk({}, done.finishReason ?? "stop");
        if (body.stream_options?.include_usage) {
          await stream.writeSSE({ data: JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [], usage: usageOf(done) }) });
        }
      }
      await stream.writeSSE({ data: "[DONE]" });
    });
  });

  return app;
}

/**
 * A client that hangs up no longer wants the answer, streaming or not: its
 * task is cancelled so the generation stops and the engine slot is freed.
 */
async function waitUnlessGone(scheduler: Scheduler, id: string, signal: AbortSignal): Promise<Task> {
  // The task is known to exist; a cancel that finds it already final is a no-op.
  const cancel = () => void scheduler.cancel(id).catch(() => {});
  if (signal.aborted) cancel();
  signal.addEventListener("abort", cancel, { once: true });
  try {
    return await scheduler.wait(id, Infinity);
  } finally {
    signal.removeEventListener("abort", cancel);
  }
}

function toSubmitInput(body: ChatCompletionBody) {
  const role = modelAliases.get(body.model ?? "auto");
  if (!role) {
    throw new TaleError("NOT_FOUND", `Unknown model "${body.model}".`, {
      hint: `Use one of: ${[...modelAliases.keys()].join(", ")}. "auto" lets tale route the request.`,
    });
  }
  const lastUser = [...body.messages].reverse().find((message) => message.role === "user");
  if (!lastUser?.content.trim()) {
    throw new TaleError("BAD_REQUEST", "Invalid request: messages must end with a non-empty user message.");
  }
  return {
    kind: "chat" as const,
    prompt: lastUser.content,
    messages: body.messages,
    role,
    priority: body.priority,
    maxTokens: body.max_completion_tokens ?? body.max_tokens,
    temperature: body.temperature,
    seed: body.seed,
    client: body.user,
  };
}

function usageOf(task: Task) {
  return { prompt_tokens: task.promptTokens, completion_tokens: task.completionTokens, total_tokens: task.promptTokens + task.completionTokens };
}

function taskFailure(task: Task): TaleError {
  if (task.errorCode) return new TaleError(task.errorCode as TaleError["code"], task.errorMessage ?? "The task failed.", { hint: task.errorHint ?? undefined });
  return new TaleError("INTERNAL", `The task ended as ${task.status}.`);
}
