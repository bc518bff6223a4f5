import { Hono } from "hono";
import { TaleError, errorClasses, toTaleError, type SerializedError } from "../errors";
import type { ChatAgent } from "../agent/chat-agent";
import type { Scheduler } from "../scheduler";
import type { EventBus } from "../telemetry/event-bus";
import { chatRoutes } from "./chat-routes";
import { eventsRoutes } from "./events-routes";
import type { TokenReport, TokenReportOptions } from "../ledger";
import type { PluginSnapshot } from "../plugins";
import { tokensRoutes } from "./tokens-routes";
import { bearerAuth } from "./auth";
import { rateLimit, type RateLimitOptions } from "./rate-limit";
import { openaiRoutes } from "./openai-routes";
import type { StatusReport } from "./status-report";
import { tasksRoutes } from "./tasks-routes";
import { livenessRoute, readinessRoute, type Readiness } from "./health-routes";
import { metricsRoute, type MetricsExposition } from "./metrics-routes";

export interface ApiOptions {
  token: string;
  scheduler: Scheduler;
  agent: ChatAgent;
  events: EventBus;
  tokens: (options: TokenReportOptions) => TokenReport;
  /** Per-client limit on submissions; absent or 0 per minute: none. */
  rateLimit?: RateLimitOptions;
  plugins: () => { plugins: PluginSnapshot[]; failures: { path: string; error: SerializedError }[] };
  status: () => StatusReport;
  readiness: () => Readiness;
  /** Absent when metrics.enabled is false. */
  metrics?: MetricsExposition & { refused(code: string): void };
  log?: { error(message: string): void; debug(message: string): void };
}

/** The daemon's HTTP surface: tale's own task routes and an OpenAI-compatible one. */
export function createApi(options: ApiOptions): Hono {
  const app = new Hono();

  app.onError((thrown, c) => {
    const error = toTaleError(thrown);
    // Refusals are counted where they become answers, so the scheduler and rate limiter need not know of metrics.
    options.metrics?.refused(error.code);
    if (error.code === "INTERNAL") options.log?.error(`internal error on ${c.req.method} ${c.req.path}: ${thrown.stack ?? thrown.message}`);
    else if (error.details?.clientGone) options.log?.debug(`${c.req.method} ${c.req.path}: ${error.message}`);
    return c.json({ error: { ...error.toJSON(), type: "tale_error" } }, errorClasses[error.code].status as 400);
  });
  app.notFound(() => {
    throw new TaleError("NOT_FOUND", "No such route.", { hint: "See the API section of the README." });
  });

  // Before the bearer check: see health-routes.ts for why liveness needs no token.
  app.route("/health", livenessRoute());
  app.use("*", bearerAuth(options.token));
  app.route("/health/ready", readinessRoute(options.readiness));
  app.route("/metrics", metricsRoute(options.metrics));
  if (options.rateLimit && options.rateLimit.perMinute > 0) {
    const limited = rateLimit(options.rateLimit);
    for (const path of ["/v1/tasks", "/v1/chat/completions", "/v1/chat/sessions/*"]) app.use(path, limited);
  }
  app.get("/v1/status", (c) => c.json(options.status()));
  app.route("/v1/tasks", tasksRoutes(options.scheduler));
  app.route("/v1/chat", chatRoutes(options.agent, (error) => options.metrics?.refused(error.code)));
  app.route("/v1/events", eventsRoutes(options.events));
  app.route("/v1/tokens", tokensRoutes(options.tokens));
  app.get("/v1/plugins", (c) => c.json(options.plugins()));
  app.route("/v1", openaiRoutes(options.scheduler));
  return app;
}
