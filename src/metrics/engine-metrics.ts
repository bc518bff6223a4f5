import { Counter, Gauge, type Registry } from "prom-client";
import type { EngineSnapshot } from "../supervisor";
import { engineStates } from "../supervisor/engine-state";
import { stateGauge, type ScrapeCache } from "./gauges";
import { processCpuSeconds, processRssBytes } from "./proc";

const circuitStates = ["closed", "open", "half-open"] as const;
const engineLabels = ["role", "engine", "model"] as const;

/**
 * Scrape-time gauges of the supervisor's snapshot: nothing is kept between
 * scrapes but each engine process's CPU time, to turn it into a percentage.
 */
export function engineMetrics(registry: Registry, engines: () => EngineSnapshot[], cache: ScrapeCache): void {
  const registers = [registry];
  const current = cache.once(engines);
  const labelsOf = (engine: EngineSnapshot) => ({ role: engine.role, engine: engine.id, model: engine.model });

  const enumOf = (name: string, help: string, states: readonly string[], state: (engine: EngineSnapshot) => string) =>
    stateGauge(registry, { name, help, labelNames: engineLabels, states, items: current, labels: labelsOf, state });
  enumOf(
    "tale_engine_state",
    "1 for the state each engine is in (stopped, starting, healthy, unhealthy, crashed, backoff, stopping, failed), 0 for the others.",
    engineStates,
    (engine) => engine.state,
  );
  enumOf(
    "tale_engine_circuit_state",
    "1 for each engine's circuit state (closed, open: no restarts after a crash loop, half-open: one trial start), 0 for the others.",
    circuitStates,
    (engine) => engine.circuit,
  );
  new Counter({
    name: "tale_engine_restarts_total",
    help: "Restarts of each engine since the daemon started.",
    labelNames: engineLabels,
    registers,
    collect() {
      this.reset();
      for (const engine of current()) this.inc(labelsOf(engine), engine.restarts);
    },
  });
  const perEngine = (name: string, help: string, read: (engine: EngineSnapshot) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: engineLabels,
      registers,
      collect() {
        this.reset();
        for (const engine of current()) {
          const value = read(engine);
          if (value !== null) this.set(labelsOf(engine), value);
        }
      },
    });
  perEngine("tale_engine_slots", "Requests each engine can serve at once.", (engine) => engine.slots.total);
  perEngine("tale_engine_slots_in_use", "Requests each engine is serving now.", (engine) => engine.slots.inFlight);
  perEngine("tale_engine_health_check_seconds", "How long each engine's latest health check took, answered or not.", (engine) =>
    engine.healthCheckMs === null ? null : engine.healthCheckMs / 1000,
  );
  processMetrics(registers, () => current().flatMap((engine) => processesOf(engine).map((process) => ({ ...process, labels: { ...labelsOf(engine), process: process.kind } }))), cache);
}

/** An engine's own process and its warm spare; remote engines have neither. */
function processesOf(engine: EngineSnapshot): { pid: number; kind: "engine" | "spare" }[] {
  const processes: { pid: number; kind: "engine" | "spare" }[] = [];
  if (engine.pid !== null) processes.push({ pid: engine.pid, kind: "engine" });
  if (engine.sparePid !== null) processes.push({ pid: engine.sparePid, kind: "spare" });
  return processes;
}

type ProcessEntry = { pid: number; labels: Record<string, string> };

function processMetrics(registers: Registry[], processes: () => ProcessEntry[], cache: ScrapeCache): void {
  const labelNames = [...engineLabels, "process"];
  // Each process's /proc files are read once per scrape, whichever gauges ask.
  const readings = cache.once(() => {
    const at = performance.now();
    return processes().map((process) => ({ ...process, at, cpu: processCpuSeconds(process.pid), rss: processRssBytes(process.pid) }));
  });
  // CPU seconds of each pid at the previous scrape: the percentage is the share of one core between two scrapes.
  let previous = new Map<number, { cpu: number; at: number }>();
  new Counter({
    name: "tale_engine_process_cpu_seconds_total",
    help: "CPU time (user and system) used by each engine process and warm spare since it started; restarts begin again at 0.",
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const reading of readings()) if (reading.cpu !== undefined) this.inc(reading.labels, reading.cpu);
    },
  });
  new Gauge({
    name: "tale_engine_process_cpu_percent",
    help: "CPU use of each engine process and warm spare between the last two scrapes, in percent of one core.",
    labelNames,
    registers,
    collect() {
      this.reset();
      const seen = new Map<number, { cpu: number; at: number }>();
      for (const { pid, labels, cpu, at } of readings()) {
        if (cpu === undefined) continue;
        seen.set(pid, { cpu, at });
        const before = previous.get(pid);
        if (before && at > before.at) this.set(labels, (100 * (cpu - before.cpu) * 1000) / (at - before.at));
      }
      previous = seen;
    },
  });
  new Gauge({
    name: "tale_engine_process_resident_memory_bytes",
    help: "Resident memory of each engine process and warm spare (VmRSS).",
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const reading of readings()) if (reading.rss !== undefined) this.set(reading.labels, reading.rss);
    },
  });
}
