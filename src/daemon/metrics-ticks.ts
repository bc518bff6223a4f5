import type { EventBus } from "../telemetry/event-bus";
import { sampleMetrics, type TickSources } from "../telemetry/system-sample";
import type { DaemonPlugins } from "./plugins";

export interface MetricsTicksOptions {
  plugins: DaemonPlugins;
  events: EventBus;
  sources: TickSources;
  log: { warn(message: string): void };
  intervalMs?: number;
}

/** Every few seconds the metrics:tick hook sees a sample; alerts the plugins raise are logged and streamed. */
export function startMetricsTicks(options: MetricsTicksOptions): { stop(): void } {
  let running = false;
  const timer = setInterval(async () => {
    // A slow alerting plugin must not pile up ticks behind it.
    if (running) return;
    running = true;
    try {
      for (const alert of await options.plugins.tick(sampleMetrics(options.sources))) {
        options.log.warn(`alert from ${alert.source} (${alert.severity}): ${alert.message}`);
        options.events.emit({ type: "alert", at: Date.now(), severity: alert.severity, source: alert.source, message: alert.message });
      }
    } finally {
      running = false;
    }
  }, options.intervalMs ?? 5_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
