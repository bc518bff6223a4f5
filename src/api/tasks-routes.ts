import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { isFinal, type Scheduler } from "../scheduler";
import type { TaskStatus } from "../store";
import { TaleError } from "../errors";
import { cancelManySchema, submitTaskSchema } from "./schemas";
import { taskToJson } from "./task-json";
import { parseBody, queryCount, readJson } from "./validate";

const statuses: TaskStatus[] = ["queued", "running", "succeeded", "failed", "cancelled", "timed_out"];
/** Long-polls are capped so a forgotten client does not pin a connection forever. */
const maxWaitMs = 300_000;
const progressIntervalMs = 250;

export function tasksRoutes(scheduler: Scheduler): Hono {
  const app = new Hono();

  app.post("/", async (c) => {
    const body = parseBody(submitTaskSchema, await readJson(c.req.raw));
    const task = await scheduler.submit({
      kind: "prompt",
      prompt: body.prompt,
      role: body.role,
      priority: body.priority,
      timeoutMs: body.timeout_ms,
      maxTokens: body.max_tokens,
      temperature: body.temperature,
      seed: body.seed,
    });
    return c.json(taskToJson(task), 201);
  });

  app.get("/", (c) => {
    const status = c.req.query("status");
    if (status && !statuses.includes(status as TaskStatus)) {
      throw new TaleError("BAD_REQUEST", `Invalid request: status must be one of ${statuses.join(", ")} (found "${status}").`);
    }
    const limit = queryCount(c.req.query("limit"), 50, 1000);
    const tasks = scheduler.list({ status: status as TaskStatus | undefined, limit });
    return c.json({ tasks: tasks.map(taskToJson) });
  });

  app.get("/:id", async (c) => {
    const wait = Math.min(Math.max(Number(c.req.query("wait") ?? 0) || 0, 0), maxWaitMs);
    const task = await scheduler.wait(c.req.param("id"), wait);
    return c.json(taskToJson(task));
  });

  // Progress of one task: token counts at most every progressIntervalMs, retries, then the final task.
  app.get("/:id/events", (c) => {
    const id = c.req.param("id");
    const initial = scheduler.get(id);
    return streamSSE(c, async (stream) => {
      let tokens = 0;
      let lastSent = 0;
      const finished = new Promise<void>((resolve) => {
        const unsubscribe = scheduler.watch(id, (event) => {
          if (event.type === "delta") {
            tokens++;
            if (Date.now() - lastSent < progressIntervalMs) return;
            lastSent = Date.now();
            void stream.writeSSE({ event: "progress", data: JSON.stringify({ status: "running", tokens }) });
          } else if (event.type === "retry") {
            tokens = 0;
            void stream.writeSSE({ event: "retry", data: JSON.stringify(event) });
          } else {
            unsubscribe();
            void stream.writeSSE({ event: "done", data: JSON.stringify(taskToJson(event.task)) }).then(resolve);
          }
        });
        stream.onAbort(() => {
          unsubscribe();
          resolve();
        });
      });
      await stream.writeSSE({ event: "status", data: JSON.stringify({ status: initial.status }) });
      const current = scheduler.get(id);
      if (isFinal(current.status)) await stream.writeSSE({ event: "done", data: JSON.stringify(taskToJson(current)) });
      else await finished;
    });
  });

  // Answers once every matched task is final; an empty body cancels everything queued or running.
  app.post("/cancel", async (c) => {
    const raw = c.req.raw;
    const empty = raw.body === null || raw.headers.get("content-length") === "0";
    const filter = parseBody(cancelManySchema, empty ? {} : await readJson(raw));
    const tasks = await scheduler.cancelMany(filter);
    return c.json({ cancelled: tasks.filter((task) => task.status === "cancelled").length, tasks: tasks.map(taskToJson) });
  });

  app.post("/:id/cancel", async (c) => c.json(taskToJson(await scheduler.cancel(c.req.param("id")))));

  return app;
}
