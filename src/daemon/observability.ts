import { dirname } from "node:path";
import type { Readiness } from "../api/health-routes";
import type { TaleConfig } from "../config/types";
import { toTaleError } from "../errors";
import type { TokenReport } from "../ledger";
import { createMetrics, type Metrics } from "../metrics";
import type { Store } from "../store";
import type { EngineSnapshot } from "../supervisor";
import type { DaemonPlugins } from "./plugins";

export interface ObservabilityOptions {
  config: TaleConfig;
  store: Store;
  engines: () => EngineSnapshot[];
  plugins: DaemonPlugins;
  tokens: () => TokenReport;
}

/** The daemon's metrics, or none when metrics.enabled is false (then nothing is counted at all). */
export function daemonMetrics(options: ObservabilityOptions): Metrics | undefined {
  if (!options.config.metrics.enabled) return undefined;
  return createMetrics({
    engines: options.engines,
    plugins: () => options.plugins.snapshot().plugins,
    tokens: options.tokens,
    queued: () => options.store.queuedTasks(),
    // The database lives in TALE_HOME, whatever TALE_HOME is.
    home: dirname(options.store.path),
    databasePath: options.store.path,
  });
}

/** Ready: the store takes writes, and every role has at least one healthy engine. */
export function checkReadiness(store: Store, engines: EngineSnapshot[]): Readiness {
  let writable: Readiness["store"] = { writable: true };
  try {
    store.checkWritable();
  } catch (error) {
    writable = { writable: false, error: toTaleError(error).message };
  }
  const byRole: Readiness["engines"] = { ux: { healthy: 0, total: 0 }, task: { healthy: 0, total: 0 } };
  for (const engine of engines) {
    byRole[engine.role].total += 1;
    if (engine.state === "healthy") byRole[engine.role].healthy += 1;
  }
  const ready = writable.writable && Object.values(byRole).every((role) => role.healthy > 0);
  return { ready, store: writable, engines: byRole };
}
