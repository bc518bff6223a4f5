import { freemem, loadavg, totalmem } from "node:os";
import type { MetricsTickInput } from "../plugins/hook-schema";
import type { EngineSnapshot } from "../supervisor";

export interface TickSources {
  queue: () => Record<string, number>;
  engines: () => EngineSnapshot[];
}

/** One periodic sample of the daemon and the machine, as the metrics:tick hook receives it. */
export function sampleMetrics(sources: TickSources, now = Date.now()): MetricsTickInput {
  return {
    version: 1,
    at: now,
    queue: sources.queue(),
    engines: sources.engines().map((engine) => ({
      id: engine.id,
      role: engine.role,
      state: engine.state,
      restarts: engine.restarts,
      inFlight: engine.slots.inFlight,
      slots: engine.slots.total,
    })),
    system: {
      loadAverage1m: loadavg()[0] ?? 0,
      freeMemoryBytes: freemem(),
      totalMemoryBytes: totalmem(),
      daemonRssBytes: process.memoryUsage.rss(),
    },
  };
}
