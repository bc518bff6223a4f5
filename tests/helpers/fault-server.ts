/**
 * FAULT INJECTOR, not a model: a fake OpenAI-compatible endpoint that answers
 * with the faults a real engine cannot be made to produce on demand (HTTP
 * 429 with Retry-After, 500/503, a response that hangs, a malformed stream).
 * Tests configure it as a `remote` engine and queue the faults they want;
 * with nothing queued it streams a short, well-formed answer.
 */
export type Fault =
  | { kind: "ok"; text?: string }
  /** `echoKey`: the error message quotes the Authorization header, as careless upstreams do. */
  | { kind: "status"; status: number; retryAfter?: string; echoKey?: boolean }
  /** Headers sent, then silence until the server stops or the client gives up. */
  | { kind: "hang" }
  /** A 200 stream whose second event is not JSON. */
  | { kind: "malformed" };

export interface FaultRequest {
  at: number;
  fault: Fault["kind"];
}

export interface FaultServer {
  port: number;
  /** The OpenAI base URL to put in a remote engine's config. */
  baseUrl: string;
  /** Faults for the next chat requests, in order. */
  plan(...faults: Fault[]): void;
  /** Every well-formed answer waits this long first, so work is in flight when a test strikes. */
  setAnswerDelay(ms: number): void;
  /** Makes GET /v1/models (the health check) hang or answer again. */
  setHealthHang(hang: boolean): void;
  readonly chatRequests: readonly FaultRequest[];
  stop(): void;
}

export function startFaultServer(): FaultServer {
  const planned: Fault[] = [];
  const chatRequests: FaultRequest[] = [];
  const hanging = new Set<ReadableStreamDefaultController<Uint8Array>>();
  let healthHang = false;
  let answerDelayMs = 0;
  const encoder = new TextEncoder();
  const event = (data: unknown) => encoder.encode(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
  const sse = (body: ReadableStream<Uint8Array>) => new Response(body, { headers: { "content-type": "text/event-stream" } });
  const hang = () => {
    let own: ReadableStreamDefaultController<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>({
      start(controller) {
        own = controller;
        hanging.add(controller);
      },
      cancel() {
        if (own) hanging.delete(own);
      },
    });
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    // A hanging answer must outlive Bun's default 10 s idle cut-off.
    idleTimeout: 0,
    async fetch(request) {
      const { pathname } = new URL(request.url);
      if (pathname.endsWith("/models")) {
        if (healthHang) return sse(hang());
        return Response.json({ object: "list", data: [{ id: "fault-injector", object: "model" }] });
      }
      if (!pathname.endsWith("/chat/completions")) return new Response("not found", { status: 404 });
      await request.arrayBuffer();
      const fault = planned.shift() ?? { kind: "ok" };
      chatRequests.push({ at: Date.now(), fault: fault.kind });
      switch (fault.kind) {
        case "status": {
          const headers: Record<string, string> = fault.retryAfter ? { "retry-after": fault.retryAfter } : {};
          const echo = fault.echoKey ? `; you sent ${request.headers.get("authorization")}` : "";
          return Response.json({ error: { message: `fault injector: HTTP ${fault.status}${echo}` } }, { status: fault.status, headers });
        }
        case "hang":
          return sse(hang());
        case "malformed":
          return sse(
            new ReadableStream({
              start(controller) {
                controller.enqueue(event({ choices: [{ delta: { content: "par" } }] }));
                controller.enqueue(event("{not json"));
                controller.close();
              },
            }),
          );
        case "ok":
          if (answerDelayMs) await Bun.sleep(answerDelayMs);
          return sse(
            new ReadableStream({
              start(controller) {
                controller.enqueue(event({ choices: [{ delta: { content: fault.text ?? "fine" }, finish_reason: "stop" }] }));
                controller.enqueue(event({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } }));
                controller.enqueue(event("[DONE]"));
                controller.close();
              },
            }),
          );
      }
    },
  });
  const port = server.port!;
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    plan: (...faults) => void planned.push(...faults),
    setHealthHang: (hang) => void (healthHang = hang),
    setAnswerDelay: (ms) => void (answerDelayMs = ms),
    chatRequests,
    stop() {
      for (const controller of hanging) {
        try {
          controller.close();
        } catch {
          // Already closed by the client going away.
        }
      }
      hanging.clear();
      server.stop(true);
    },
  };
}
