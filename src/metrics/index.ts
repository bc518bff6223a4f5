import { Counter, Registry } from "prom-client";
import type { TokenReport } from "../ledger";
import type { PluginSnapshot } from "../plugins";
import type { AttemptEnd } from "../scheduler";
import type { Task } from "../store";
import type { EngineSnapshot } from "../supervisor";
import { engineMetrics } from "./engine-metrics";
import { ScrapeCache } from "./gauges";
import { ledgerMetrics } from "./ledger-metrics";
import { pluginMetrics } from "./plugin-metrics";
import { requestMetrics } from "./request-metrics";
import { systemMetrics, type SystemSources } from "./system-metrics";

/** What the metrics read at scrape time; each is a snapshot its owner already keeps. */
export interface MetricsSources extends SystemSources {
  engines: () => EngineSnapshot[];
  plugins: () => PluginSnapshot[];
  tokens: () => TokenReport;
  /** Tasks queued now: read once, at the first scrape, for the work a previous daemon left. */
  queued: () => readonly Task[];
}

/**
 * The daemon's one Prometheus registry. Data flows one way: the daemon's
 * callbacks call in (attempts, task changes, refusals), snapshots are read at
 * scrape; nothing in the scheduler, supervisor or plugins knows of metrics.
 */
export interface Metrics {
  attemptEnded(attempt: AttemptEnd): void;
  taskChanged(task: Task): void;
  /** A submission refused at the API edge: OVERLOADED or RATE_LIMITED. */
  refused(code: string): void;
  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string>;
  readonly contentType: string;
  close(): void;
}

/** Error codes that are admission refusals; every other error is no refusal and is not counted here. */
const refusalCodes = new Set(["OVERLOADED", "RATE_LIMITED"]);

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  const requests = requestMetrics(registry, { queued: sources.queued });
  const refusals = new Counter({
    name: "tale_scheduler_refusals_total",
    help: "Submissions refused: OVERLOADED (queue full) or RATE_LIMITED (client over its rate).",
    labelNames: ["code"],
    registers: [registry],
  });
  // Both codes show from the start, so a rate() over them needs no first refusal.
  for (const code of refusalCodes) refusals.inc({ code }, 0);
  const cache = new ScrapeCache();
  engineMetrics(registry, sources.engines, cache);
  pluginMetrics(registry, sources.plugins, cache);
  ledgerMetrics(registry, sources.tokens);
  const stopSystem = systemMetrics(registry, sources, cache);
  return {
    attemptEnded: requests.attemptEnded,
    taskChanged: requests.taskChanged,
    refused(code) {
      if (refusalCodes.has(code)) refusals.inc({ code });
    },
    scrape: () => {
      cache.next();
      return registry.metrics();
    },
    contentType: registry.contentType,
    close: stopSystem,
  };
}
