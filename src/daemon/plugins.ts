import { createHooks } from "hookable";
import type { TaleConfig } from "../config/types";
import { type SerializedError, toTaleError } from "../errors";
import {
  createPluginManager,
  registerPluginHooks,
  type MetricsTickInput,
  type PluginAlertOutput,
  type PluginHooks,
  type PluginManager,
  type PluginSnapshot,
  type RouteHookContext,
  type RouteInput,
  type TaskCompletedInput,
} from "../plugins";
import { embeddedPlugin } from "../plugins/embedded";
import { fallbackRoute } from "../routing";
import type { RouteDecision } from "../scheduler";
import type { TaleEvent } from "../telemetry/event-bus";

export interface PluginsOptions {
  config: TaleConfig;
  log: { info(message: string): void; warn(message: string): void; error(message: string): void };
  alert: (alert: Extract<TaleEvent, { type: "alert" }>) => void;
}

/** A configured plugin that could not be loaded: the daemon runs on without it, and says so. */
export interface PluginLoadFailure {
  path: string;
  error: SerializedError;
}

export interface DaemonPlugins {
  manager: PluginManager;
  route(input: RouteInput): Promise<RouteDecision>;
  completed(input: TaskCompletedInput): void;
  tick(input: MetricsTickInput): Promise<PluginAlertOutput[]>;
  snapshot(): { plugins: PluginSnapshot[]; failures: PluginLoadFailure[] };
  close(): Promise<void>;
}

/**
 * The policy plugins and the hooks that reach them. The built-in router loads
 * first, configured plugins after it, so a configured router replaces it (the
 * last loaded router decides). A plugin that fails to load is reported and
 * skipped: the fallback policy answers in its place.
 */
export async function startPlugins(options: PluginsOptions): Promise<DaemonPlugins> {
  const { config, log } = options;
  const limits = config.pluginRuntime;
  const manager = createPluginManager({
    deadlineMs: limits.callTimeoutMs,
    maxMemoryPages: limits.maxMemoryPages,
    maxRssBytes: limits.maxRssMb * 1_048_576,
    breaker: { failures: limits.breakerFailures, cooldownMs: limits.breakerCooldownMs },
    watch: true,
    log: { debug: () => {}, info: (message) => log.info(message), warn: (message) => log.warn(message) },
  });
  manager.onAlert((alert) =>
    options.alert({ type: "alert", at: alert.at, severity: alert.severity, source: `plugin:${alert.plugin}`, message: alert.message }),
  );
  const hooks = createHooks<PluginHooks>();
  registerPluginHooks(hooks, manager, { "task:route": fallbackRoute });

  const failures: PluginLoadFailure[] = [];
  const load = async (source: Parameters<PluginManager["load"]>[0], label: string) => {
    try {
      await manager.load(source);
    } catch (thrown) {
      const error = toTaleError(thrown, "PLUGIN_FAILED");
      failures.push({ path: label, error: error.toJSON() });
      log.error(`plugin ${label} was not loaded: ${error.message}${error.hint ? ` (${error.hint})` : ""}`);
      options.alert({ type: "alert", at: Date.now(), severity: "warning", source: `plugin:${label}`, message: `not loaded: ${error.message}` });
    }
  };
  if (limits.builtinRouter) await load({ name: "router", bytes: await embeddedPlugin("router") }, "built-in router");
  for (const plugin of config.plugins) await load({ path: plugin.path, name: plugin.name, config: plugin.config }, plugin.path);

  return {
    manager,
    async route(input) {
      const context: RouteHookContext = { input };
      await hooks.callHook("task:route", context);
      const output = context.output ?? fallbackRoute(input);
      return { ...output, reason: output.reason ?? "", decidedBy: context.decidedBy ?? "fallback" };
    },
    completed(input) {
      void hooks.callHook("task:completed", { input });
    },
    async tick(input) {
      const context = { input, alerts: [] as PluginAlertOutput[] };
      await hooks.callHook("metrics:tick", context);
      return context.alerts;
    },
    snapshot: () => ({ plugins: manager.list().map((plugin) => plugin.snapshot()), failures }),
    close: () => manager.close(),
  };
}
