import type { Hono } from "hono";
import { ChatAgent } from "../agent/chat-agent";
import { createApi, taskToJson, type StatusReport } from "../api";
import type { EngineConfig, Role, TaleConfig } from "../config/types";
import { buildTokenReport, createRoleStatsCache, defineCostWeights, modelCallOf, type TokenReportOptions } from "../ledger";
import { Scheduler } from "../scheduler";
import type { Store, Task } from "../store";
import { createSupervisor, supervisorPool, type Supervisor } from "../supervisor";
import type { AttemptEnd } from "../scheduler";
import type { TaskCompletedInput } from "../plugins";
import type { EventBus } from "../telemetry/event-bus";
import type { DaemonPlugins } from "./plugins";
import { withOtel, type OtelSink } from "../otel";
import { checkReadiness, daemonMetrics } from "./observability";
import type { Metrics } from "../metrics";
import { toTaleError } from "../errors";
import { rotationLimits } from "../logs/files";
import type { LogLine } from "../logs/record";
import { attemptEndLine, attemptLevel, taskChangeLines, taskLevel } from "../logs/task-story";

export interface CoreOptions {
  config: TaleConfig;
  engines: Record<Role, EngineConfig[]>;
  store: Store;
  token: string;
  logDir: string;
  /** The daemon's own facts for `tale status`; the core adds engines and queue. */
  daemonStatus: () => StatusReport["daemon"];
  log: { debug(message: string): void; info(message: string | LogLine): void; warn(message: string | LogLine): void; error(message: string): void };
  events: EventBus;
  plugins: DaemonPlugins;
  /** OpenTelemetry export; absent when it is off. */
  otel?: OtelSink;
}

export interface Core {
  supervisor: Supervisor;
  scheduler: Scheduler;
  events: EventBus;
  api: Hono;
  /** Absent when metrics.enabled is false; closed by the daemon on exit. */
  metrics?: Metrics;
}

/**
 * The daemon's parts and how they are wired: store → scheduler → supervisor
 * behind the API, events fanned out to watchers, every model call booked in
 * the ledger. Nothing here starts a process or listens on a port.
 */
export function assembleCore(options: CoreOptions): Core {
  const { config, store, log } = options;
  const supervisor = createSupervisor({
    engines: options.engines,
    config,
    logDir: options.logDir,
    logRotation: rotationLimits(config.log),
    log: (message, fields, level = "info") => log[level]({ message, ...fields }),
  });
  const { events, plugins } = options;
  const tokens = (reportOptions: TokenReportOptions = {}) =>
    buildTokenReport(store, defineCostWeights({ engines: supervisor.snapshot(), config: config.ledger }), reportOptions);
  const metrics = daemonMetrics({ config, store, engines: () => supervisor.snapshot(), plugins, tokens });
  supervisor.hooks.hook("engine:state", (engine, previous) => events.emit({ type: "engine", at: Date.now(), engine, previous }));

  const scheduler = new Scheduler(withOtel(options.otel, {
    store,
    pool: supervisorPool(supervisor, { log: (message) => log.warn(message) }),
    config: config.scheduler,
    defaultMaxTokens: config.builtin.maxTokens,
    roleStats: createRoleStatsCache({ store }),
    router: (input) => plugins.route(input),
    onAttemptEnd: (attempt) => {
      metrics?.attemptEnded(attempt);
      log[attemptLevel(attempt)](attemptEndLine(attempt));
      // The ledger is bookkeeping: a failed write is logged, never a failed task.
      try {
        store.recordModelCall(modelCallOf(attempt));
      } catch (error) {
        log.warn(`could not record the model call of task ${attempt.task.id}: ${toTaleError(error).message}`);
      }
      const completed = completedInput(attempt);
      if (completed) plugins.completed(completed);
    },
    onTaskChange: (task) => {
      metrics?.taskChanged(task);
      for (const line of taskChangeLines(task)) log[taskLevel(task)](line);
      events.emit({ type: "task", at: Date.now(), task: taskEvent(task) });
    },
    onAlert: (alert) => events.emit({ type: "alert", at: Date.now(), ...alert }),
    log: (message, fields, level = "info") => log[level]({ message, ...fields }),
  }));

  const api = createApi({
    token: options.token,
    scheduler,
    agent: new ChatAgent({ scheduler, store, defaultMaxTokens: config.builtin.maxTokens }),
    events,
    plugins: () => plugins.snapshot(),
    rateLimit: { perMinute: config.api.rateLimitPerMinute, burst: config.api.rateLimitBurst },
    tokens,
    metrics,
    readiness: () => checkReadiness(store, supervisor.snapshot()),
    log,
    status: () => ({ daemon: options.daemonStatus(), engines: supervisor.snapshot(), queue: scheduler.counts(), plugins: pluginStatus(plugins) }),
  });
  return { supervisor, scheduler, events, api, metrics };
}

function taskEvent(task: Task) {
  const json = taskToJson(task);
  return { id: json.id, status: json.status, role: json.role, engine: json.engine, attempts: json.attempts, error: json.error };
}

/** task:completed hears about final outcomes only; retries and interruptions are not completions. */
function completedInput(attempt: AttemptEnd): TaskCompletedInput | undefined {
  if (attempt.outcome === "retried" || attempt.outcome === "interrupted") return undefined;
  const { task } = attempt;
  return {
    version: 1,
    task: { id: task.id, kind: task.kind, role: attempt.role, engine: attempt.engine, model: attempt.model },
    outcome: attempt.outcome,
    errorCode: attempt.errorCode,
    usage: attempt.usage,
    latencyMs: attempt.latencyMs,
    ttftMs: attempt.ttftMs,
    attempts: attempt.attempt,
  };
}

function pluginStatus(plugins: DaemonPlugins): StatusReport["plugins"] {
  const { plugins: loaded, failures } = plugins.snapshot();
  return {
    loaded: loaded.map((plugin) => ({ name: plugin.name, hooks: plugin.hooks, state: plugin.state, breaker: plugin.breaker, calls: plugin.calls, failures: plugin.failures })),
    failed: failures,
  };
}
