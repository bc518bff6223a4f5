import { Hono } from "hono";
import type { Scheduler } from "../scheduler";
import type { TaskStatus } from "../store";
import { TaleError } from "../errors";
import { submitTaskSchema } from "./schemas";
import { taskToJson } from "./task-json";
import { parseBody, readJson } from "./validate";

const statuses: TaskStatus[] = ["queued", "running", "succeeded", "failed", "cancelled", "timed_out"];
/** Long-polls are capped so a forgotten client does not pin a connection forever. */
const maxWaitMs = 300_000;

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
    const limit = Math.min(Number(c.req.query("limit") ?? 50) || 50, 1000);
    const tasks = scheduler.list({ status: status as TaskStatus | undefined, limit });
    return c.json({ tasks: tasks.map(taskToJson) });
  });

  app.get("/:id", async (c) => {
    const wait = Math.min(Number(c.req.query("wait") ?? 0) || 0, maxWaitMs);
    const task = await scheduler.wait(c.req.param("id"), wait);
    return c.json(taskToJson(task));
  });

  app.post("/:id/cancel", async (c) => c.json(taskToJson(await scheduler.cancel(c.req.param("id")))));

  return app;
}
