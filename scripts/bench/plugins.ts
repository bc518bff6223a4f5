/**
 * What a routing decision costs: the default router plugin through the
 * plugin manager (a call to its host process over IPC) against the built-in
 * TypeScript fallback, throughput sequential and pipelined, and how long a
 * killed plugin host takes to serve again. Prints figures; never passes or fails.
 *
 *   node_modules/.bin/bun scripts/bench/plugins.ts [--calls 5000] [--pipelined 50000] [--restarts 5] [--binary] [--json]
 *
 * --binary runs the hosts from dist/tale (`bun run build` first) instead of
 * `bun src/main.ts`, as the daemon of a compiled install does.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { embeddedPlugin } from "../../src/plugins/embedded";
import { createPluginManager, type LoadedPlugin, type PluginManager, type RouteInput } from "../../src/plugins";
import { readRssBytes } from "../../src/plugins/process-memory";
import { computeRouteFeatures, fallbackRoute } from "../../src/routing";
import { guardRun, onCleanup, runCleanup } from "./lib/cleanup";
import { median, percentile } from "./lib/stats";

const root = resolve(import.meta.dir, "../..");

interface Options {
  calls: number;
  pipelined: number;
  restarts: number;
  binary: boolean;
  json: boolean;
}

interface Row {
  figure: string;
  p50: string;
  p99: string;
  note?: string;
}

function readOptions(): Options {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      calls: { type: "string", default: "5000" },
      pipelined: { type: "string", default: "50000" },
      restarts: { type: "string", default: "5" },
      binary: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const count = (flag: string, text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${flag} must be a whole number of at least 1 (got "${text}")`);
    return value;
  };
  return { calls: count("calls", values.calls), pipelined: count("pipelined", values.pipelined), restarts: count("restarts", values.restarts), binary: values.binary, json: values.json };
}

/** A mix of what the router sees: chat turns, questions and real work. */
function routeInputs(): RouteInput[] {
  const prompts = [
    { prompt: "hi! how are you today?" },
    { prompt: "What is the capital of France?" },
    { prompt: "Write a complex Python web scraper that logs in, follows pagination and stores results in SQLite.", maxTokens: 2048 },
    { prompt: "thanks, that helps", messages: Array.from({ length: 12 }, (_, index) => ({ role: index % 2 ? "assistant" : "user", content: "earlier turn of the chat ".repeat(8) })) },
  ];
  return prompts.map((source, index) => ({
    version: 1,
    task: { id: `bench-${index}`, kind: source.messages ? "chat" : "prompt" },
    features: computeRouteFeatures(source),
    stats: { ux: { calls: 120, successRate: 0.99, p50LatencyMs: 180 }, task: { calls: 40, successRate: 0.97, p50LatencyMs: 2400 } },
    engines: { ux: ["ux-0"], task: ["task-0"] },
  }));
}

const micros = (ms: number) => `${(ms * 1000).toFixed(ms < 0.01 ? 2 : 1)} µs`;
const millis = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
const perSecond = (calls: number, ms: number) => Math.round(calls / (ms / 1000));

async function timeEach(count: number, run: (index: number) => unknown): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await run(index);
    samples.push(performance.now() - started);
  }
  return samples;
}

async function main(): Promise<void> {
  const options = readOptions();
  guardRun({ deadlineMs: 120_000 });
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const binary = join(root, "dist", "tale");
  if (options.binary && !existsSync(binary)) throw new Error(`${binary} is missing: run \`node_modules/.bin/bun run build\` first.`);
  const hostCommand = options.binary ? [binary, "plugin-host"] : [process.execPath, join(root, "src", "main.ts"), "plugin-host"];
  const inputs = routeInputs();
  const rows: Row[] = [];
  const figures: Record<string, number> = {};

  progress("loading the default router plugin…");
  const bytes = await embeddedPlugin("router");
  const plugins: PluginManager = createPluginManager({ hostCommand, watch: false });
  onCleanup(() => plugins.close());
  const loadStarted = performance.now();
  const router: LoadedPlugin = await plugins.load({ name: "router", bytes });
  figures.loadMs = performance.now() - loadStarted;
  figures.hostRssAfterLoadMb = (readRssBytes(router.pid!) ?? Number.NaN) / 1_048_576;

  progress(`one decision at a time: ${options.calls} plugin calls, ${options.calls * 100} fallback calls…`);
  for (let index = 0; index < 200; index++) await plugins.call(router, "task:route", inputs[index % inputs.length]!);
  const pluginSamples = await timeEach(options.calls, (index) => plugins.call(router, "task:route", inputs[index % inputs.length]!));
  // The fallback takes well under a microsecond: time batches of 100 so the clock's resolution does not dominate.
  const fallbackSamples = await timeEach(options.calls, (index) => {
    for (let inner = 0; inner < 100; inner++) fallbackRoute(inputs[(index + inner) % inputs.length]!);
  }).then((samples) => samples.map((ms) => ms / 100));
  const pluginTotal = pluginSamples.reduce((sum, ms) => sum + ms, 0);
  rows.push({ figure: "task:route via the router plugin (IPC to its host)", p50: micros(median(pluginSamples)), p99: micros(percentile(pluginSamples, 0.99)) });
  rows.push({ figure: "task:route via the built-in fallback (in process)", p50: micros(median(fallbackSamples)), p99: micros(percentile(fallbackSamples, 0.99)), note: "timed in batches of 100" });
  Object.assign(figures, {
    pluginP50Us: median(pluginSamples) * 1000,
    pluginP99Us: percentile(pluginSamples, 0.99) * 1000,
    fallbackP50Us: median(fallbackSamples) * 1000,
    fallbackP99Us: percentile(fallbackSamples, 0.99) * 1000,
    sequentialCallsPerSecond: perSecond(options.calls, pluginTotal),
  });

  progress(`pipelined: ${options.pipelined} calls at once…`);
  const pipelinedStarted = performance.now();
  await Promise.all(Array.from({ length: options.pipelined }, (_, index) => plugins.call(router, "task:route", inputs[index % inputs.length]!)));
  figures.pipelinedCallsPerSecond = perSecond(options.pipelined, performance.now() - pipelinedStarted);
  rows.push({ figure: "throughput, one call at a time", p50: `${figures.sequentialCallsPerSecond} calls/s`, p99: "" });
  rows.push({ figure: `throughput, ${options.pipelined} calls in flight`, p50: `${figures.pipelinedCallsPerSecond} calls/s`, p99: "" });

  progress(`restarts: SIGKILL the host ${options.restarts} times…`);
  const servedAgain: number[] = [];
  const restartMs: number[] = [];
  for (let round = 0; round < options.restarts; round++) {
    const pid = router.pid!;
    const killed = performance.now();
    process.kill(pid, "SIGKILL");
    // The call waits for the new host: from the kill to an answer is what a caller would wait.
    await plugins.call(router, "task:route", inputs[0]!).catch(() => plugins.call(router, "task:route", inputs[0]!));
    servedAgain.push(performance.now() - killed);
    restartMs.push(router.snapshot().lastRestartMs ?? Number.NaN);
  }
  rows.push({ figure: "kill → answering again (spawn + load + first call)", p50: millis(median(servedAgain)), p99: millis(Math.max(...servedAgain)), note: `max of ${options.restarts}` });
  rows.push({ figure: "first load (inspect + spawn + load + manifest)", p50: millis(figures.loadMs), p99: "" });
  figures.restartP50Ms = median(servedAgain);
  figures.restartMaxMs = Math.max(...servedAgain);
  figures.hostRssAfterRunMb = (readRssBytes(router.pid!) ?? Number.NaN) / 1_048_576;
  rows.push({ figure: "host process memory (VmRSS) after load → after the run", p50: `${figures.hostRssAfterLoadMb.toFixed(1)} → ${figures.hostRssAfterRunMb.toFixed(1)} MB`, p99: "" });

  const snapshot = router.snapshot();
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ host: options.binary ? "dist/tale" : "bun src/main.ts", figures, failures: snapshot.failures }, null, 2)}\n`);
  } else {
    const widths = [Math.max(...rows.map((row) => row.figure.length)), Math.max(3, ...rows.map((row) => row.p50.length)), Math.max(3, ...rows.map((row) => row.p99.length))];
    const line = (cells: string[]) => `${cells[0]!.padEnd(widths[0]!)}  ${cells[1]!.padStart(widths[1]!)}  ${cells[2]!.padStart(widths[2]!)}  ${cells[3] ?? ""}`.trimEnd();
    console.log(`plugin hosts: ${options.binary ? "dist/tale plugin-host" : "bun src/main.ts plugin-host"}; ${snapshot.calls} plugin calls, ${snapshot.failures} failed (a call that meets a host just killed on purpose fails)`);
    console.log(line(["FIGURE", "P50", "P99", "NOTE"]));
    for (const row of rows) console.log(line([row.figure, row.p50, row.p99, row.note ?? ""]));
  }
}

try {
  await main();
} finally {
  await runCleanup();
}
