import { TaleError, toTaleError } from "../errors";
import { handleChatCompletions } from "./chat-completions";
import { engineLog } from "./log";
import type { ModelHost } from "./model-host";
import { errorBody } from "./openai-format";
import type { EngineHealth } from "./protocol";

export interface EngineServerOptions {
  host: ModelHost;
  modelId: string;
  /** 0 picks a free port. */
  port: number;
  defaultMaxTokens: number;
}

export interface EngineServer {
  port: number;
  /** Stops generations in flight and closes the listener. */
  stop(): Promise<void>;
}

const loopback = "127.0.0.1";

/** The OpenAI-compatible HTTP face of the engine, on loopback only. */
export function startEngineServer(options: EngineServerOptions): EngineServer {
  const { host, modelId } = options;
  const active = new Set<AbortController>();
  const created = Math.floor(Date.now() / 1000);
  const server = listen(options.port, {
    "/health": {
      GET: () => Response.json({
          status: "ok",
          model: modelId,
          slots: host.pool.stats(),
          contextSize: host.contextSize,
          parameters: host.parameters,
        } satisfies EngineHealth),
    },
    "/v1/models": {
      GET: () => Response.json({ object: "list", data: [{ id: modelId, object: "model", created, owned_by: "tale", parameters: host.parameters }] }),
    },
    "/v1/chat/completions": {
      POST: (request) => handleChatCompletions(request, { host, modelId, defaultMaxTokens: options.defaultMaxTokens, active }),
    },
  });
  return {
    port: server.port ?? options.port,
    async stop() {
      for (const abort of active) abort.abort();
      await server.stop(true);
    },
  };
}

type Routes = Record<string, Partial<Record<"GET" | "POST", (request: Request) => Response | Promise<Response>>>>;

function listen(port: number, routes: Routes) {
  try {
    return Bun.serve({
      hostname: loopback,
      port,
      // Bun closes connections idle for 10 s by default; a long answer from a big model is silent for longer.
      idleTimeout: 0,
      routes,
      fetch: (request) => {
        const { pathname } = new URL(request.url);
        throw new TaleError("NOT_FOUND", `No route for ${request.method} ${pathname}.`, {
          hint: "The engine serves GET /health, GET /v1/models and POST /v1/chat/completions.",
        });
      },
      error: errorResponse,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new TaleError("PORT_IN_USE", `Port ${port} on ${loopback} is already in use.`, {
        hint: "Stop the program using it, or start the engine with --port 0 to pick a free port.",
        details: { port },
        cause: error,
      });
    }
    throw error;
  }
}

function errorResponse(error: unknown): Response {
  const taleError = toTaleError(error);
  if (taleError.code === "INTERNAL") engineLog.error(error);
  return Response.json(errorBody(taleError), { status: taleError.status });
}
