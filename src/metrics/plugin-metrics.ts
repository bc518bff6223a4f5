import { Counter, Gauge, type Registry } from "prom-client";
import type { PluginSnapshot } from "../plugins";
import { stateGauge, type ScrapeCache } from "./gauges";
import { processRssBytes } from "./proc";

const breakerStates = ["closed", "open", "half-open"] as const;
const pluginStates = ["ready", "restarting", "unloaded"] as const;
const quantiles = [0.5, 0.99] as const;

/**
 * Scrape-time figures of the plugin manager's snapshots. Call latency is a
 * summary: the manager already keeps each plugin's last 1,024 call times for
 * `tale plugin list`, so the quantiles come from there rather than a second
 * record kept on the routing path.
 */
export function pluginMetrics(registry: Registry, snapshots: () => PluginSnapshot[], cache: ScrapeCache): void {
  const plugins = cache.once(snapshots);
  const registers = [registry];
  const counter = (name: string, help: string, pick: (plugin: PluginSnapshot) => number) =>
    new Counter({
      name,
      help,
      labelNames: ["plugin"],
      registers,
      collect() {
        this.reset();
        for (const plugin of plugins()) this.inc({ plugin: plugin.name }, pick(plugin));
      },
    });
  counter("tale_plugin_call_failures_total", "Plugin calls that failed, timeouts included.", (plugin) => plugin.failures);
  counter("tale_plugin_call_timeouts_total", "Plugin calls stopped at their deadline (the host process was killed).", (plugin) => plugin.timeouts);
  counter("tale_plugin_calls_short_circuited_total", "Calls the fallback answered without reaching the plugin: breaker open or host restarting.", (plugin) => plugin.shortCircuited);
  counter("tale_plugin_restarts_total", "Restarts of each plugin's host process.", (plugin) => plugin.restarts);

  const oneOf = (name: string, help: string, states: readonly string[], state: (plugin: PluginSnapshot) => string) =>
    stateGauge(registry, { name, help, labelNames: ["plugin"], states, items: plugins, labels: (plugin) => ({ plugin: plugin.name }), state });
  oneOf("tale_plugin_breaker_state", "1 for each plugin's breaker state (closed, open: switched off, half-open: one trial call), 0 for the others.", breakerStates, (plugin) => plugin.breaker);
  oneOf("tale_plugin_state", "1 for each plugin's state (ready, restarting, unloaded), 0 for the others.", pluginStates, (plugin) => plugin.state);

  new Gauge({
    name: "tale_plugin_process_resident_memory_bytes",
    help: "Resident memory of each plugin's host process.",
    labelNames: ["plugin"],
    registers,
    collect() {
      this.reset();
      for (const plugin of plugins()) {
        const rss = plugin.pid === null ? undefined : processRssBytes(plugin.pid);
        if (rss !== undefined) this.set({ plugin: plugin.name }, rss);
      }
    },
  });

  const name = "tale_plugin_call_duration_seconds";
  const help = "Time of plugin calls that reached the plugin; quantiles over each plugin's last 1,024 calls.";
  // prom-client's Summary computes quantiles from its own observations; this one reports the manager's, so it is a plain collector.
  registry.registerMetric({
    name,
    help,
    get: async () => ({
      name,
      help,
      type: "summary",
      aggregator: "sum",
      values: plugins().flatMap((plugin) => {
        const labels = { plugin: plugin.name };
        const byQuantile = { 0.5: plugin.p50Ms, 0.99: plugin.p99Ms };
        return [
          ...quantiles.flatMap((quantile) => (byQuantile[quantile] === null ? [] : [{ labels: { ...labels, quantile }, value: byQuantile[quantile]! / 1000 }])),
          { metricName: `${name}_sum`, labels, value: plugin.totalMs / 1000 },
          { metricName: `${name}_count`, labels, value: plugin.calls },
        ];
      }),
    }),
  } as unknown as Parameters<Registry["registerMetric"]>[0]);
}
