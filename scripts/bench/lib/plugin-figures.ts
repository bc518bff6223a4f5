import { join } from "node:path";
import { readLogs } from "../../../src/logs/reader";
import type { BenchHome } from "./tale-home";

/** How the daemon's plugins fared in a run: call times over their last 1,024 calls, timeouts, and the host kills its log recorded. */
export interface PluginFigures {
  name: string;
  calls: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  timeouts: number;
  restarts: number;
  breaker: string;
}

export async function pluginFigures(home: BenchHome): Promise<{ plugins: PluginFigures[]; killsLogged: number }> {
  const { plugins } = await home.api<{ plugins: PluginFigures[] }>("/v1/plugins");
  // A kill for time is a log line that starts with one of these two wordings (src/plugins/call-deadline.ts); alerts quote them later in the line.
  const kill = /^Plugin "[^"]+" (timed out after \d+ ms in|did not answer within \d+ ms in)/;
  const killsLogged = readLogs(join(home.home, "logs"), {}).records.filter((record) => kill.test(record.message)).length;
  return {
    plugins: plugins.map(({ name, calls, p50Ms, p99Ms, maxMs, timeouts, restarts, breaker }) => ({ name, calls, p50Ms, p99Ms, maxMs, timeouts, restarts, breaker })),
    killsLogged,
  };
}

export function formatPluginFigures(figures: { plugins: PluginFigures[]; killsLogged: number }): string {
  const ms = (value: number | null) => (value === null ? "-" : `${value.toFixed(2)} ms`);
  const lines = figures.plugins.map(
    (plugin) => `  plugin       ${plugin.name}: ${plugin.calls} calls, p50 ${ms(plugin.p50Ms)}, p99 ${ms(plugin.p99Ms)}, max ${ms(plugin.maxMs)} (wall, last 1,024 calls), ${plugin.timeouts} timeouts, ${plugin.restarts} host restarts, breaker ${plugin.breaker}`,
  );
  return `${[...lines, `  plugin hosts killed for time (daemon log): ${figures.killsLogged}`].join("\n")}\n`;
}
