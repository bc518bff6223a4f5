/**
 * Scheduler overhead: tasks per second through the whole daemon (HTTP API,
 * SQLite writes, dispatch, engine call) against an engine that answers at
 * once, next to p-queue doing the same bookkeeping in memory against the same
 * engine. Also the dequeue cost with 10,000 tasks queued, and the same load
 * on a second daemon with metrics.enabled false: what metrics cost.
 *
 *   bun scripts/bench/scheduler.ts [--tasks 3000] [--concurrency 64] [--json]
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import PQueue from "p-queue";
import { openStore } from "../../src/store";
import { runClients, type ClientRun } from "./lib/clients";
import { guardRun, tempDir, runGuarded } from "./lib/cleanup";
import { memoryOf } from "./lib/processes";
import { startInstantDaemon } from "./lib/instant-daemon";
import { startInstantEngine } from "./lib/start-instant-engine";
import { median } from "./lib/stats";
import { assertBinary } from "./lib/tale-home";

const { values } = parseArgs({ options: { tasks: { type: "string", default: "3000" }, concurrency: { type: "string", default: "64" }, json: { type: "boolean" } } });
const tasks = Number(values.tasks);
const concurrency = Number(values.concurrency);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Median time of one "what runs next?" read (the scheduler asks for maxConcurrent + 64 rows) at a queue depth. */
function dequeueMicros(depth: number): number {
  const dir = tempDir("tale-bench-queue-");
  const store = openStore({ path: join(dir.path, "tale.db") });
  try {
    for (let index = 0; index < depth; index++) store.insertTask({ kind: "prompt", prompt: `p${index}`, role: "ux", roleRequested: "ux", priority: (index % 4) * 10 - 10 });
    const samples: number[] = [];
    for (let round = 0; round < 300; round++) {
      const started = performance.now();
      store.queuedTasks(72);
      samples.push((performance.now() - started) * 1000);
    }
    return median(samples);
  } finally {
    store.close();
    void dir.remove();
  }
}

async function engineCall(baseUrl: string): Promise<void> {
  const response = await fetch(`${baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "instant", messages: [{ role: "user", content: "hi" }], stream: true }),
  });
  if (!response.ok) throw new Error(`instant engine answered ${response.status}`);
  await response.text();
}

interface TaskRecord {
  status: "queued" | "running" | "succeeded";
  priority: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
}

/** What the daemon keeps per task, kept in a Map and run through p-queue with the same concurrency and priorities. */
async function pQueueRun(baseUrl: string): Promise<ClientRun> {
  const queue = new PQueue({ concurrency });
  const records = new Map<number, TaskRecord>();
  return runClients(tasks, concurrency, (index) => {
    const record: TaskRecord = { status: "queued", priority: (index % 4) * 10 - 10, createdAt: Date.now() };
    records.set(index, record);
    return queue.add(
      async () => {
        record.status = "running";
        record.startedAt = Date.now();
        await engineCall(baseUrl);
        record.status = "succeeded";
        record.finishedAt = Date.now();
      },
      { priority: record.priority },
    );
  });
}

async function main(): Promise<void> {
  assertBinary();
  guardRun({ deadlineMs: 300_000 });
  log("dequeue cost…");
  const shallow = dequeueMicros(100);
  const deep = dequeueMicros(10_000);

  const engine = await startInstantEngine();
  const cache = tempDir("tale-bench-cache-");
  const daemonOptions = { cacheDir: cache.path, engineBaseUrl: engine.baseUrl, concurrency, maxQueued: tasks * 2 };
  const daemon = await startInstantDaemon({ ...daemonOptions, metrics: true });
  const { home, baseUrl, pid, headers } = daemon;
  const priorities = ["low", "normal", "high", "critical"];
  const viaChat = daemon.chat;
  const viaTasks = async (index: number) => {
    const created = await fetch(`${baseUrl}/v1/tasks`, { method: "POST", headers, body: JSON.stringify({ prompt: `hi ${index}`, role: "ux", max_tokens: 1, priority: priorities[index % 4] }) });
    if (created.status !== 201) throw new Error(await created.text());
    const { id, status } = (await created.json()) as { id: string; status: string };
    if (status === "queued" || status === "running") {
      const done = (await (await fetch(`${baseUrl}/v1/tasks/${id}?wait=30000`, { headers })).json()) as { status: string };
      if (done.status !== "succeeded") throw new Error(done.status);
    }
  };

  log("warm-up…");
  await runClients(Math.min(500, tasks), concurrency, viaChat);
  await pQueueRun(engine.baseUrl);
  log(`daemon, ${tasks} tasks from ${concurrency} clients…`);
  const daemonChat = await runClients(tasks, concurrency, viaChat);
  const daemonTasks = await runClients(tasks, concurrency, viaTasks);
  log("p-queue…");
  const baseline = await pQueueRun(engine.baseUrl);
  const memory = memoryOf(pid);
  const status = await home.status();
  const metricsCost = await compareMetrics(daemon.chat, daemonOptions);

  const figures = {
    dequeueMicros: { depth100: shallow, depth10000: deep },
    daemonChatCompletions: daemonChat,
    daemonTasksSubmitAndWait: daemonTasks,
    pQueueInMemory: baseline,
    ratio: daemonChat.perSecond / baseline.perSecond,
    daemonRssMb: memory.rssMb,
    daemonPeakRssMb: memory.peakMb,
    lost: status.queue.queued + status.queue.running,
    metricsOnOff: metricsCost,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    return;
  }
  const row = (label: string, run: ClientRun) =>
    `  ${label.padEnd(44)} ${run.perSecond.toFixed(0).padStart(6)} tasks/s   p50 ${run.p50Ms.toFixed(1).padStart(6)} ms   p99 ${run.p99Ms.toFixed(1).padStart(6)} ms   failures ${run.failures}`;
  process.stdout.write(
    [
      `\ntale scheduler benchmark · instant no-op engine (remote, streams one token) · ${tasks} tasks · ${concurrency} clients`,
      `  dequeue (next ${72} of the queue)             ${shallow.toFixed(0)} µs at 100 queued · ${deep.toFixed(0)} µs at 10,000 queued`,
      row("daemon: POST /v1/chat/completions", daemonChat),
      row("daemon: POST /v1/tasks + GET ?wait", daemonTasks),
      row("p-queue in memory, same engine (baseline)", baseline),
      `  ratio daemon / p-queue                         ${figures.ratio.toFixed(2)}`,
      `  daemon RSS ${memory.rssMb.toFixed(0)} MB (peak ${memory.peakMb.toFixed(0)} MB) · left unfinished: ${figures.lost}`,
      `  metrics on / off (chat completions, median of ${metricsCost.rounds} alternating rounds)  ${metricsCost.on.toFixed(0)} / ${metricsCost.off.toFixed(0)} tasks/s = ${metricsCost.ratio.toFixed(3)} (${lossLine(metricsCost.ratio)}; target ≤ 3% fewer)`,
      "",
    ].join("\n"),
  );
}

/** A ratio as the share of throughput metrics cost, or gave back when the machine's noise outweighs them. */
function lossLine(ratio: number): string {
  const percent = Math.abs(1 - ratio) * 100;
  return ratio <= 1 ? `${percent.toFixed(1)}% fewer with metrics` : `${percent.toFixed(1)}% more with metrics: below this machine's noise`;
}

/**
 * The same chat load on the metrics-on daemon and on a second one with
 * metrics.enabled false, in alternating rounds so drift on a shared machine
 * falls on both sides; the figure is the ratio of the medians.
 */
async function compareMetrics(metricsOn: (index: number) => Promise<void>, options: Omit<Parameters<typeof startInstantDaemon>[0], "metrics">) {
  const off = await startInstantDaemon({ ...options, metrics: false });
  log("metrics on vs off…");
  await runClients(Math.min(500, tasks), concurrency, off.chat);
  const rounds = 5;
  const on: number[] = [];
  const offRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    on.push((await runClients(tasks, concurrency, metricsOn)).perSecond);
    offRates.push((await runClients(tasks, concurrency, off.chat)).perSecond);
  }
  await off.home.close();
  return { rounds, on: median(on), off: median(offRates), ratio: median(on) / median(offRates) };
}

await runGuarded(main);
