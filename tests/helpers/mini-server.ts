/**
 * A stand-in for an external OpenAI-compatible server process (llama-server,
 * `ollama serve`, vLLM), used only to test supervision: it is a real process
 * listening on a real port, with just enough HTTP to be health-checked.
 *
 *   bun tests/helpers/mini-server.ts --port N [--grandchild] [--models-only]
 *
 * --grandchild   also starts `sleep` as a child in the same process group,
 *                like a server's worker process; /health reports its pid.
 * --models-only  answers 404 on /health, so only /v1/models shows it is up.
 * POST /break    makes /health answer 503 from then on (a hung server).
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { port: { type: "string" }, grandchild: { type: "boolean" }, "models-only": { type: "boolean" } },
});

const worker = values.grandchild ? Bun.spawn(["sleep", "600"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" }) : undefined;
let broken = false;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(values.port),
  fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === "/health" && !values["models-only"]) {
      return broken ? new Response("broken", { status: 503 }) : Response.json({ status: "ok", pid: process.pid, workerPid: worker?.pid ?? null });
    }
    if (pathname === "/v1/models") return Response.json({ object: "list", data: [{ id: "mini", object: "model" }] });
    if (pathname === "/break" && request.method === "POST") {
      broken = true;
      return new Response("ok");
    }
    return new Response("not found", { status: 404 });
  },
});

console.error(`mini-server ${process.pid} listening on ${server.port}`);
