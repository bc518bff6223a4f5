/**
 * What metrics cost where a user would feel it, against a baseline measured
 * in the same run:
 *   1. per proxied request: sequential one-token chat completions through a
 *      daemon with metrics on and one with metrics.enabled false, both in
 *      front of the same instant engine, in alternating rounds;
 *   2. the same cost in process, with no HTTP noise: one task's calls into
 *      the registry (queued, running, its attempt, succeeded) timed in a loop;
 *   3. one /metrics scrape on a daemon with its real builtin engines (warm
 *      spares included) and the router plugin, after a few tasks, next to
 *      GET /v1/models (the bare HTTP and auth round trip).
 * Prints figures, asserts nothing.
 *
 *   bun scripts/bench/metrics.ts [--requests 400] [--rounds 8] [--scrapes 200] [--json]
 */
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { createMetrics } from "../../src/metrics";
import type { AttemptEnd } from "../../src/scheduler";
import type { Task } from "../../src/store";
import { runClients } from "./lib/clients";
import { guardRun, runGuarded, tempDir } from "./lib/cleanup";
import { startInstantDaemon } from "./lib/instant-daemon";
import { startInstantEngine } from "./lib/start-instant-engine";
import { median, percentile } from "./lib/stats";
import { assertBinary, createBenchHome } from "./lib/tale-home";

const { values } = parseArgs({
  options: { requests: { type: "string", default: "400" }, rounds: { type: "string", default: "8" }, scrapes: { type: "string", default: "200" }, json: { type: "boolean" } },
});
const requests = Number(values.requests);
const rounds = Number(values.rounds);
const scrapes = Number(values.scrapes);
const log = (line: string) => process.stderr.write(`${line}\n`);

async function perRequestOverhead(cacheDir: string) {
  const engine = await startInstantEngine();
  const options = { cacheDir, engineBaseUrl: engine.baseUrl, concurrency: 4, maxQueued: 10_000 };
  const on = await startInstantDaemon({ ...options, metrics: true });
  const off = await startInstantDaemon({ ...options, metrics: false });
  log(`per request: ${rounds} alternating rounds of ${requests} sequential requests…`);
  await runClients(100, 1, on.chat);
  await runClients(100, 1, off.chat);
  const onMedians: number[] = [];
  const offMedians: number[] = [];
  for (let round = 0; round < rounds; round++) {
    onMedians.push((await runClients(requests, 1, on.chat)).p50Ms);
    offMedians.push((await runClients(requests, 1, off.chat)).p50Ms);
  }
  await on.home.close();
  await off.home.close();
  return { onMs: median(onMedians), offMs: median(offMedians), overheadMs: median(onMedians) - median(offMedians) };
}

/** Microseconds of registry work per task, as the scheduler's callbacks drive it for a task that succeeds at its first attempt. */
function inProcessMicros(): number {
  const tokens = { since: null, totals: { byRole: [], byDay: [], byModel: [] }, savings: { actual: 0, baseline: 0, percent: null, baselineModel: null, weights: {}, formula: "", notes: [] } };
  const metrics = createMetrics({ engines: () => [], plugins: () => [], tokens: () => tokens, queued: () => [], home: tmpdir(), databasePath: `${tmpdir()}/none.db` });
  const labels = { role: "ux", engine: "ux-0", model: "instant", priority: 0, routedBy: "plugin:router", queueWaitMs: 3, ttftMs: 5, totalMs: 9 } as const;
  const states = (id: string) =>
    (["queued", "running", "succeeded"] as const).map((status) => ({ ...labels, id, status, attempts: status === "queued" ? 0 : 1 }) as unknown as Task);
  const attempt = { task: states("t")[2]!, attempt: 1, role: "ux", engine: "ux-0", model: "instant", outcome: "succeeded", errorCode: null, usage: { promptTokens: 12, completionTokens: 1 }, latencyMs: 3, ttftMs: 2 } as AttemptEnd;
  const tasks = Array.from({ length: 1000 }, (_, index) => states(`t_${index}`));
  const run = (count: number) => {
    for (let index = 0; index < count; index++) {
      const [queued, running, succeeded] = tasks[index % tasks.length]!;
      metrics.taskChanged(queued!);
      metrics.taskChanged(running!);
      metrics.attemptEnded(attempt);
      metrics.taskChanged(succeeded!);
    }
  };
  run(20_000);
  const count = 200_000;
  const started = performance.now();
  run(count);
  const micros = ((performance.now() - started) * 1000) / count;
  metrics.close();
  return micros;
}

async function timed(count: number, call: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  return samples;
}

async function scrapeTime(cacheDir: string) {
  const home = createBenchHome({ cacheDir });
  log("scrape: daemon with the default builtin engines and the router plugin…");
  await home.tale(["up"], 120_000);
  const status = await home.waitHealthy(120_000);
  for (const role of ["ux", "task", "auto"]) await home.tale(["submit", `hello ${role}`, "--role", role, "--max-tokens", "4"], 60_000);
  const { baseUrl, token } = home.daemon();
  const get = async (path: string) => {
    const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return response.text();
  };
  const text = await get("/metrics");
  await timed(20, () => get("/metrics"));
  const scrape = await timed(scrapes, () => get("/metrics"));
  const floor = await timed(scrapes, () => get("/v1/models"));
  await home.close();
  return {
    engines: status.engines.length,
    processes: status.engines.filter((engine) => engine.pid).length + status.engines.filter((engine) => engine.sparePid).length,
    plugins: (text.match(/^tale_plugin_state\{plugin="[^"]+",state="ready"\} 1$/gm) ?? []).length,
    series: text.split("\n").filter((line) => line && !line.startsWith("#")).length,
    bytes: text.length,
    scrapeMs: { p50: median(scrape), p99: percentile(scrape, 0.99), max: Math.max(...scrape) },
    floorMs: { p50: median(floor), p99: percentile(floor, 0.99) },
  };
}

async function main(): Promise<void> {
  assertBinary();
  guardRun({ deadlineMs: 600_000 });
  const cache = tempDir("tale-bench-cache-");
  const overhead = await perRequestOverhead(cache.path);
  const inProcess = inProcessMicros();
  const scrape = await scrapeTime(cache.path);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ overhead, inProcessMicrosPerTask: inProcess, scrape }, null, 2)}\n`);
    return;
  }
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  process.stdout.write(
    [
      "\ntale metrics benchmark",
      `  per proxied request (sequential, instant engine, median of ${rounds} round medians of ${requests})`,
      `    metrics on ${ms(overhead.onMs)} · off ${ms(overhead.offMs)} · overhead ${ms(overhead.overheadMs)} (target ≤ 0.05 ms)`,
      `  in process: ${inProcess.toFixed(2)} µs of registry work per task (queued, running, attempt, succeeded), no HTTP noise`,
      `  GET /metrics with ${scrape.engines} engines (${scrape.processes} processes incl. warm spares) and ${scrape.plugins} plugin(s): ${scrape.series} samples, ${(scrape.bytes / 1024).toFixed(1)} KiB`,
      `    scrape p50 ${ms(scrape.scrapeMs.p50)} · p99 ${ms(scrape.scrapeMs.p99)} · max ${ms(scrape.scrapeMs.max)} over ${scrapes} (target < 10 ms)`,
      `    GET /v1/models p50 ${ms(scrape.floorMs.p50)} · p99 ${ms(scrape.floorMs.p99)} (HTTP + auth floor)`,
      "",
    ].join("\n"),
  );
}

await runGuarded(main);
