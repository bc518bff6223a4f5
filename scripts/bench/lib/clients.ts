import { percentile } from "./stats";

export interface ClientRun {
  count: number;
  wallMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

/** `count` calls of `one` from `concurrency` clients, each waiting for its answer before sending again. */
export async function runClients(count: number, concurrency: number, one: (index: number) => Promise<void>): Promise<ClientRun> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  const client = async () => {
    while (next < count) {
      const index = next++;
      const sent = performance.now();
      try {
        await one(index);
        latencies.push(performance.now() - sent);
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, client));
  const wallMs = performance.now() - started;
  return { count, wallMs, perSecond: latencies.length / (wallMs / 1000), p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), failures };
}
