import { statSync, statfsSync } from "node:fs";
import { loadavg } from "node:os";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { fastOperationBuckets } from "./buckets";
import { scrapedGauge, type ScrapeCache } from "./gauges";
import { hostCpuTicks, memInfo, networkBytes, processCpuSeconds, processRssBytes } from "./proc";

export interface SystemSources {
  /** TALE_HOME: its filesystem's free space is what the store and logs can still use. */
  home: string;
  /** The SQLite file; its WAL is beside it. */
  databasePath: string;
}

/** How often the event loop is probed: a timer that fires late measures the lag. */
const lagProbeMs = 500;

/** The machine and the daemon process, read at scrape from /proc and statfs. Returns a stop for the lag probe. */
export function systemMetrics(registry: Registry, sources: SystemSources, cache: ScrapeCache): () => void {
  const registers = [registry];
  // Files several gauges read are read once per scrape.
  const readMemory = cache.once(memInfo);
  const readNetwork = cache.once(networkBytes);
  const readHome = cache.once(() => attempt(() => statfsSync(sources.home), (stats) => stats));
  let previousCpu = hostCpuTicks();
  new Gauge({
    name: "tale_host_cpu_percent",
    help: "Busy share of all CPUs between the last two scrapes, in percent (100 = every core busy).",
    registers,
    collect() {
      const ticks = hostCpuTicks();
      if (!ticks || !previousCpu) return;
      const total = ticks.total - previousCpu.total;
      if (total > 0) {
        this.set((100 * (ticks.busy - previousCpu.busy)) / total);
        previousCpu = ticks;
      }
    },
  });
  new Gauge({
    name: "tale_host_load_average",
    help: "The host's load average over 1, 5 and 15 minutes.",
    labelNames: ["window"],
    registers,
    collect() {
      const [one, five, fifteen] = loadavg();
      this.set({ window: "1m" }, one ?? 0);
      this.set({ window: "5m" }, five ?? 0);
      this.set({ window: "15m" }, fifteen ?? 0);
    },
  });
  const memory = (name: string, help: string, pick: (info: NonNullable<ReturnType<typeof memInfo>>) => number) =>
    scrapedGauge(registry, name, help, () => {
      const info = readMemory();
      return info && pick(info);
    });
  memory("tale_host_memory_bytes", "The host's total memory (MemTotal).", (info) => info.total);
  memory("tale_host_memory_available_bytes", "Memory the host can still give without swapping (MemAvailable).", (info) => info.available);
  memory("tale_host_swap_bytes", "The host's swap space (SwapTotal).", (info) => info.swapTotal);
  memory("tale_host_swap_free_bytes", "Unused swap space (SwapFree).", (info) => info.swapFree);

  // TALE_HOME removed under a running daemon: the series are absent rather than wrong.
  const disk = (name: string, help: string, pick: (stats: { bavail: number; blocks: number }) => number) =>
    scrapedGauge(registry, name, help, () => {
      const stats = readHome();
      return stats && pick(stats) * stats.bsize;
    });
  disk("tale_home_filesystem_free_bytes", "Space left for unprivileged users on TALE_HOME's filesystem.", (stats) => stats.bavail);
  disk("tale_home_filesystem_size_bytes", "Size of TALE_HOME's filesystem.", (stats) => stats.blocks);

  const network = (name: string, help: string, pick: (entry: ReturnType<typeof networkBytes>[number]) => number) =>
    new Counter({
      name,
      help,
      labelNames: ["device"],
      registers,
      collect() {
        this.reset();
        for (const entry of readNetwork()) this.inc({ device: entry.device }, pick(entry));
      },
    });
  network("tale_host_network_receive_bytes_total", "Bytes each network interface of the host has received (/proc/net/dev).", (entry) => entry.received);
  network("tale_host_network_transmit_bytes_total", "Bytes each network interface of the host has sent (/proc/net/dev).", (entry) => entry.transmitted);

  scrapedGauge(registry, "tale_process_resident_memory_bytes", "Resident memory of the daemon process.", () => processRssBytes(process.pid) ?? process.memoryUsage.rss());
  new Counter({
    name: "tale_process_cpu_seconds_total",
    help: "CPU time (user and system) the daemon process has used.",
    registers,
    collect() {
      const seconds = processCpuSeconds(process.pid);
      if (seconds === undefined) return;
      this.reset();
      this.inc(seconds);
    },
  });
  // No WAL between a checkpoint and the next write: size 0 is the truth then.
  const file = (name: string, help: string, path: string) => scrapedGauge(registry, name, help, () => attempt(() => statSync(path), (stats) => stats.size) ?? 0);
  file("tale_database_size_bytes", "Size of the SQLite database file (tale.db).", sources.databasePath);
  file("tale_database_wal_size_bytes", "Size of the SQLite write-ahead log (tale.db-wal).", `${sources.databasePath}-wal`);

  // Bun does not implement perf_hooks' monitorEventLoopDelay (it reads NaN), so the lag is measured by a late timer.
  const lag = new Histogram({
    name: "tale_event_loop_lag_seconds",
    help: `How late a timer set every ${lagProbeMs} ms fires: the time the daemon's event loop was busy with something else.`,
    buckets: fastOperationBuckets,
    registers,
  });
  let expected = performance.now() + lagProbeMs;
  const probe = setInterval(() => {
    const at = performance.now();
    lag.observe(Math.max(0, at - expected) / 1000);
    expected = at + lagProbeMs;
  }, lagProbeMs);
  probe.unref();
  return () => clearInterval(probe);
}

/** `use(read())`, or undefined when reading throws (a file that is not there). */
function attempt<Read, Used>(read: () => Read, use: (value: Read) => Used): Used | undefined {
  let value: Read;
  try {
    value = read();
  } catch {
    return undefined;
  }
  return use(value);
}
