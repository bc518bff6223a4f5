import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { EventBus, TaleEvent } from "../telemetry/event-bus";

/** Comments keep idle connections alive through proxies and reveal clients that left. */
const keepAliveMs = 15_000;

/** `GET /v1/events[?types=task,engine,alert]`: task and engine state changes and alerts, live. */
export function eventsRoutes(bus: EventBus): Hono {
  const app = new Hono();
  app.get("/", (c) => {
    const wanted = new Set((c.req.query("types") ?? "task,engine,alert").split(",").map((type) => type.trim()));
    return streamSSE(c, async (stream) => {
      const queue: TaleEvent[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = bus.subscribe((event) => {
        if (!wanted.has(event.type)) return;
        queue.push(event);
        wake?.();
      });
      let open = true;
      stream.onAbort(() => {
        open = false;
        unsubscribe();
        wake?.();
      });
      await stream.writeSSE({ event: "ready", data: JSON.stringify({ types: [...wanted] }) });
      while (open) {
        const event = queue.shift();
        if (event) {
          await stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, keepAliveMs);
        });
        wake = undefined;
        if (!queue.length && open) await stream.write(": keep-alive\n\n");
      }
    });
  });
  return app;
}
