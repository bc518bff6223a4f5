import { TaleError, toTaleError } from "../errors";
import { bearerMatches } from "../util/bearer";
import { handleChatCompletions } from "./chat-completions";
import { engineLog } from "./log";
import type { ModelHost } from "./model-host";
import { errorBody } from "./openai-format";
import type { EngineHealth, EngineLiveness } from "./protocol";

export interface EngineServerOptions {
  host: ModelHost;
  modelId: string;
  /** 0 picks a free port. */
  port: number;
  defaultMaxTokens: number;
  /** Required as `Authorization: Bearer <key>` on everything but the liveness answer of /health. */
  apiKey: string;
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
  const key = Buffer.from(options.apiKey);
  const authorized = (request: Request) => bearerMatches(request.headers.get("authorization"), key);
  const keyed =
    (handler: (request: Request) => Response | Promise<Response>) =>
    (request: Request): Response | Promise<Response> => {
      if (!authorized(request)) throw refused();
      return handler(request);
    };
  const server = listen(options.port, authorized, {
    "/health": {
      // Open so pm2, docker or a load balancer can probe liveness; the details (model, load) are for the key holder.
      GET: (request) =>
        Response.json(
          authorized(request)
            ? ({ status: "ok", model: modelId, slots: host.pool.stats(), contextSize: host.contextSize, parameters: host.parameters } satisfies EngineHealth)
            : ({ status: "ok" } satisfies EngineLiveness),
        ),
    },
    "/v1/models": {
      GET: keyed(() => Response.json({ object: "list", data: [{ id: modelId, object: "model", created, owned_by: "tale", parameters: host.parameters }] })),
    },
    "/v1/chat/completions": {
      POST: keyed((request) => handleChatCompletions(request, { host, modelId, defaultMaxTokens: options.defaultMaxTokens, active })),
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

function listen(port: number, authorized: (request: Request) => boolean, routes: Routes) {
  try {
    return Bun.serve({
      hostname: loopback,
      port,
      // Bun closes connections idle for 10 s by default; a long answer from a big model is silent for longer.
      idleTimeout: 0,
      routes,
      fetch: (request) => {
        // Without the key, not even which routes exist.
        if (!authorized(request)) throw refused();
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

function refused(): TaleError {
  return new TaleError("AUTH", "This engine serves only its key holder: the Authorization header is missing or wrong.", {
    hint: "Send requests through the tale daemon (its API on 127.0.0.1:8253), or, for an engine you started yourself, send `Authorization: Bearer <key>` with the key you gave it.",
  });
}

function errorResponse(error: unknown): Response {
  const taleError = toTaleError(error);
  if (taleError.code === "INTERNAL") engineLog.error(error);
  return Response.json(errorBody(taleError), { status: taleError.status });
}
