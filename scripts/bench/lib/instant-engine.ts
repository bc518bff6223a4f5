/**
 * A labelled no-op engine for the scheduler benchmark: an OpenAI-compatible
 * server that streams one token at once, so every millisecond measured
 * through tale is tale's own. Prints its port on stdout.
 *
 *   bun scripts/bench/lib/instant-engine.ts
 */
const stream = [
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: "assistant", content: "ok" }, finish_reason: null }] })}\n\n`,
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: { prompt_tokens: 1, completion_tokens: 1 } })}\n\n`,
  "data: [DONE]\n\n",
].join("");

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname.endsWith("/models")) return Response.json({ object: "list", data: [{ id: "instant", object: "model" }] });
    if (pathname.endsWith("/chat/completions")) {
      await request.arrayBuffer();
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    }
    return new Response("not found", { status: 404 });
  },
});

process.stdout.write(`${server.port}\n`);
