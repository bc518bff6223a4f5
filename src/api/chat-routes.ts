import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import * as v from "valibot";
import type { ChatAgent } from "../agent/chat-agent";
import { TaleError, toTaleError } from "../errors";
import { parseBody, queryCount, readJson } from "./validate";

const sessionName = /^[\w.-]{1,64}$/;
const turnSchema = v.strictObject({ content: v.pipe(v.string("must be a string"), v.trim(), v.nonEmpty("must not be empty")) });

/**
 * `tale chat`: turns stream back as server-sent events named after the agent's
 * events. An error inside a turn is an event of the stream, not an HTTP
 * answer, so the app's error handler never sees it: `streamError` does.
 */
export function chatRoutes(agent: ChatAgent, streamError?: (error: TaleError) => void): Hono {
  const app = new Hono();

  app.get("/sessions", (c) => c.json({ sessions: agent.sessions() }));

  app.get("/sessions/:name/messages", (c) => {
    const limit = queryCount(c.req.query("limit"), 50, 500);
    return c.json({ messages: agent.history(session(c.req.param("name")), limit) });
  });

  app.post("/sessions/:name/turns", async (c) => {
    const name = session(c.req.param("name"));
    const { content } = parseBody(turnSchema, await readJson(c.req.raw));
    return streamSSE(c, async (stream) => {
      const abort = new AbortController();
      stream.onAbort(() => abort.abort());
      try {
        await agent.turn({
          session: name,
          content,
          signal: abort.signal,
          onEvent: (event) => void stream.writeSSE({ event: event.type, data: JSON.stringify(event) }),
        });
      } catch (thrown) {
        const error = toTaleError(thrown);
        streamError?.(error);
        await stream.writeSSE({ event: "error", data: JSON.stringify(error.toJSON()) });
      }
      await stream.writeSSE({ event: "done", data: "{}" });
    });
  });

  return app;
}

function session(name: string): string {
  if (!sessionName.test(name)) {
    throw new TaleError("BAD_REQUEST", `Invalid session name "${name}".`, { hint: "Use 1 to 64 letters, digits, dots, dashes or underscores." });
  }
  return name;
}
