/**
 * Core figures of tale: cold and warm `tale submit`, engine start, daemon
 * memory, and the daemon's overhead per task against calling the engine
 * directly. Prints figures; never passes or fails.
 *
 *   node_modules/.bin/bun run build
 *   node_modules/.bin/bun scripts/bench/core.ts [--runs 5] [--warm-runs 20] [--requests 100] [--json]
 *
 * The machine is shared and noisy, so every figure is a median (with p90 and
 * max) and overheads are ratios against a baseline measured in the same run.
 */
import { existsSync, readdirSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import type { StatusReport } from "../../src/api/status-report";
import type { TaskJson } from "../../src/api/task-json";
import { createDefaultConfig } from "../../src/config/defaults";
import type { Role } from "../../src/config/types";
import { guardRun, tempDir, runGuarded } from "./lib/cleanup";
import { startEngine, timeEngineStart } from "./lib/engine-start";
import { compareTargets, throughput, type Batch, type RequestTarget } from "./lib/load";
import { memoryOf, timeCommand } from "./lib/processes";
import { figure, formatTable, ratioOf, type Figure } from "./lib/report";
import { median } from "./lib/stats";
import { aliveEnginePids, assertBinary, baseEnv, createBenchHome, engineReadyOffsets, sharedModel, taleBinary, type BenchHome } from "./lib/tale-home";

interface BenchOptions {
  /** Cold starts and engine spawns per model. */
  runs: number;
  /** Warm submits per role. */
  warmRuns: number;
  /** Chat requests per target and concurrency level in the overhead comparison. */
  requests: number;
  json: boolean;
}

const prompt = "hello world";
const sections = {
  baseline: "baseline",
  cold: "1. cold `tale submit` (no daemon, fresh TALE_HOME)",
  warm: "2. warm `tale submit` (daemon up, engines healthy)",
  engines: "3. engine start to healthy",
  memory: "4. memory (VmRSS)",
  overhead: "5. daemon overhead per task vs the ux engine directly",
} as const;

function readOptions(): BenchOptions {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      runs: { type: "string", default: "5" },
      "warm-runs": { type: "string", default: "20" },
      requests: { type: "string", default: "100" },
      json: { type: "boolean", default: false },
    },
  });
  const count = (flag: string, text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${flag} must be a whole number of at least 1 (got "${text}")`);
    return value;
  };
  return { runs: count("runs", values.runs), warmRuns: count("warm-runs", values["warm-runs"]), requests: count("requests", values.requests), json: values.json };
}

function progress(message: string): void {
  process.stderr.write(`· ${message}\n`);
}

async function repeat<T>(times: number, what: string, run: () => Promise<T>): Promise<T[]> {
  progress(`${what} ×${times}`);
  const results: T[] = [];
  for (let index = 0; index < times; index++) results.push(await run());
  return results;
}

/** Starting the 120 MB binary and printing help: the floor under every CLI figure. */
async function measureBaseline(options: BenchOptions, env: Record<string, string>): Promise<Figure> {
  const samples = await repeat(Math.max(10, options.runs * 2), "baseline", async () => (await timeCommand([taleBinary, "--help"], { env })).ms);
  return figure(sections.baseline, "tale --help", "ms", samples, { note: "bare process start: the floor under every CLI figure" });
}

interface ColdStart {
  submitMs: number;
  /** CLI invoked → daemon's startedAt (config, store, default models, API listening). */
  daemonUpMs: number;
  engineReady: Partial<Record<Role, number>>;
}

/** One `tale submit` into a fresh TALE_HOME; waits for every engine before tearing it down. */
async function coldStart(cacheDir: string): Promise<ColdStart> {
  const home = createBenchHome({ cacheDir });
  try {
    const invokedAt = Date.now();
    const run = await home.tale(["submit", prompt]);
    const report = await home.waitHealthy();
    return { submitMs: run.ms, daemonUpMs: home.daemon().startedAt - invokedAt, engineReady: engineReadyOffsets(report) };
  } finally {
    await home.close();
  }
}

async function measureColdStarts(options: BenchOptions, cacheDir: string, baseline: Figure): Promise<{ figures: Figure[]; starts: ColdStart[] }> {
  progress("first run ever (empty runtime cache)");
  const first = await coldStart(cacheDir);
  const starts = await repeat(options.runs, "cold start", () => coldStart(cacheDir));
  const submitMs = starts.map((start) => start.submitMs);
  return {
    starts,
    figures: [
      figure(sections.cold, "first run ever (empty cache)", "ms", [first.submitMs], {
        ratio: ratioOf([first.submitMs], baseline),
        note: "includes unpacking the engine runtime",
      }),
      figure(sections.cold, "cold submit (cache unpacked)", "ms", submitMs, { ratio: ratioOf(submitMs, baseline), note: "target < 10 s, aim < 2 s" }),
      figure(sections.cold, "  CLI start → daemon startedAt", "ms", starts.map((start) => start.daemonUpMs), {
        note: "config, store, default models, API listening",
      }),
    ],
  };
}

/** A daemon kept up for the warm, memory and overhead figures. */
async function startWarmDaemon(cacheDir: string): Promise<{ home: BenchHome; upMs: number; ready: StatusReport }> {
  progress("tale up (warm daemon)");
  const home = createBenchHome({ cacheDir });
  const up = await home.tale(["up"]);
  const ready = await home.waitHealthy();
  return { home, upMs: up.ms, ready };
}

async function measureWarmSubmits(options: BenchOptions, home: BenchHome, baseline: Figure): Promise<Figure[]> {
  const roles = ["ux", "auto"] as const;
  for (const role of roles) await home.tale(["submit", prompt, "--role", role]);
  const wall: Record<(typeof roles)[number], number[]> = { ux: [], auto: [] };
  // Roles alternate so that noise on the machine lands on both alike.
  await repeat(options.warmRuns, "warm submit (ux, auto)", async () => {
    for (const role of roles) wall[role].push((await home.tale(["submit", prompt, "--role", role])).ms);
  });
  const { tasks } = await home.api<{ tasks: TaskJson[] }>(`/v1/tasks?limit=${options.warmRuns * roles.length}`);
  return roles.flatMap((role) => {
    const inDaemon = tasks.filter((task) => task.role_requested === role && task.latency_ms !== null).map((task) => task.latency_ms!);
    const routedTo = [...new Set(tasks.filter((task) => task.role_requested === role).map((task) => task.role))].join(",");
    return [
      figure(sections.warm, `warm submit --role ${role}`, "ms", wall[role], {
        ratio: ratioOf(wall[role], baseline),
        note: `target < 1 s, aim < 200 ms${role === "auto" ? `; routed to ${routedTo}` : ""}`,
      }),
      figure(sections.warm, `  in-daemon task time (${role})`, "ms", inDaemon, {
        note: `CLI + HTTP + polling = ${(median(wall[role]) - median(inDaemon)).toFixed(0)} ms of the median`,
      }),
    ];
  });
}

function measureDaemonEngineStarts(upMs: number, starts: ColdStart[], warm: StatusReport): Figure[] {
  const offsets = [...starts.map((start) => start.engineReady), engineReadyOffsets(warm)];
  const byRole = (role: Role) => offsets.flatMap((offset) => (offset[role] === undefined ? [] : [offset[role]]));
  return [
    figure(sections.engines, "tale up (returns when API answers)", "ms", [upMs]),
    ...(["ux", "task"] as const).map((role) =>
      figure(sections.engines, `daemon startedAt → ${role} healthy`, "ms", byRole(role), { note: "from /v1/status, every daemon start of this run" }),
    ),
  ];
}

/** `tale engine` spawned directly, per model file, until its ready line. */
async function measureEngineSpawns(options: BenchOptions, modelsDir: string, env: Record<string, string>, baseline: Figure): Promise<Figure[]> {
  const models = readdirSync(modelsDir)
    .filter((file) => file.endsWith(".gguf"))
    .sort()
    .map((file) => join(modelsDir, file));
  if (existsSync(sharedModel)) models.push(sharedModel);
  else progress(`skipping the shared model: ${sharedModel} is absent`);

  const starts = new Map(models.map((model) => [model, [] as Array<{ readyMs: number; startupMs: number }>]));
  // One spawn per model per round, so the models share the machine's noise.
  await repeat(options.runs, "engine spawns", async () => {
    for (const model of models) starts.get(model)!.push(await timeEngineStart({ modelPath: model, env }));
  });
  return models.map((model) => {
    const ready = starts.get(model)!.map((start) => start.readyMs);
    const reported = median(starts.get(model)!.map((start) => start.startupMs));
    return figure(sections.engines, `tale engine ${basename(model)} → ready line`, "ms", ready, {
      ratio: ratioOf(ready, baseline),
      note: `--threads 1; engine reports startupMs ${reported.toFixed(0)}`,
    });
  });
}

function memoryFigures(label: string, report: StatusReport, previous?: Figure): Figure[] {
  const daemon = memoryOf(report.daemon.pid);
  const tasks = Object.values(report.queue).reduce((sum, count) => sum + count, 0);
  return [
    figure(sections.memory, `daemon ${label}`, "MB", [daemon.rssMb], {
      ...(previous ? { ratio: ratioOf([daemon.rssMb], previous) } : {}),
      note: `peak ${daemon.peakMb.toFixed(1)} MB; ${tasks} tasks in the store`,
    }),
    ...aliveEnginePids(report).map(({ role, pid }) => {
      const engine = memoryOf(pid);
      return figure(sections.memory, `  ${role} engine ${label}`, "MB", [engine.rssMb], { note: `peak ${engine.peakMb.toFixed(1)} MB` });
    }),
  ];
}

/**
 * The same small, deterministic chat request straight to a ux engine and
 * through the daemon. The daemon's own engines serve only the daemon (their
 * key never leaves it), so "direct" is a second `tale engine` on the same
 * model file with the daemon's settings, started here with a key of our own.
 * The daemon always streams from its engine, so the streamed direct call
 * splits the overhead into the engine's streaming cost and the daemon's own;
 * GET /v1/models is the daemon's bare HTTP round trip.
 */
async function measureOverhead(options: BenchOptions, home: BenchHome, report: StatusReport, env: Record<string, string>): Promise<Figure[]> {
  const ux = report.engines.find((engine) => engine.role === "ux" && engine.state === "healthy");
  if (!ux) throw new Error("no healthy ux engine in /v1/status");
  const modelPath = join(home.modelsDir, `${ux.model}.gguf`);
  if (!existsSync(modelPath)) throw new Error(`the ux engine's model ${modelPath} is missing`);
  const config = createDefaultConfig().builtin;
  const direct = await startEngine({
    modelPath,
    env,
    threads: config.threads,
    flags: ["--slots", String(ux.slots.total), "--context-size", String(config.contextSize), "--max-tokens", String(config.maxTokens), "--name", ux.model],
  });
  const { baseUrl, token } = home.daemon();
  const request = { messages: [{ role: "user", content: prompt }], max_tokens: 8, seed: 42, temperature: 0 };
  const engineUrl = `http://127.0.0.1:${direct.ready.port}/v1/chat/completions`;
  const auth = { authorization: `Bearer ${token}` };
  const engineAuth = { authorization: `Bearer ${direct.key}` };
  const targets: RequestTarget[] = [
    { label: "direct", url: engineUrl, headers: engineAuth, body: { ...request, model: ux.model } },
    { label: "direct streamed", url: engineUrl, headers: engineAuth, body: { ...request, model: ux.model, stream: true, stream_options: { include_usage: true } } },
    { label: "daemon", url: `${baseUrl}/v1/chat/completions`, headers: auth, body: { ...request, model: "ux" } },
    { label: "daemon GET /v1/models", url: `${baseUrl}/v1/models`, headers: auth },
  ];

  const figures: Figure[] = [];
  for (const concurrency of [1, 4]) {
    progress(`overhead: ${options.requests} requests per target, concurrency ${concurrency}`);
    const [direct, streamed, daemon, floor] = await compareTargets(targets, { count: options.requests, concurrency, rounds: 4, warmup: 5 });
    const mode = concurrency === 1 ? "sequential" : `concurrency ${concurrency}`;
    const baseline = figure(sections.overhead, `${mode}: direct to engine`, "ms", direct!.latencies);
    const sameAnswer = direct!.firstAnswer === daemon!.firstAnswer && direct!.firstAnswer === streamed!.firstAnswer;
    const medianGap = (slower: Batch, faster: Batch) => [median(slower.latencies) - median(faster.latencies)];
    figures.push(
      baseline,
      figure(sections.overhead, `${mode}: through daemon`, "ms", daemon!.latencies, {
        ratio: ratioOf(daemon!.latencies, baseline),
        note: `same answer all ways: ${sameAnswer ? "yes" : "NO"}`,
      }),
      figure(sections.overhead, `${mode}: overhead per task`, "ms", medianGap(daemon!, direct!), { note: "median through daemon − median direct" }),
      figure(sections.overhead, `${mode}:   of which engine streaming`, "ms", medianGap(streamed!, direct!), {
        note: "median direct streamed (as the daemon asks) − direct",
      }),
      figure(sections.overhead, `${mode}: daemon GET /v1/models`, "ms", floor!.latencies, { note: "HTTP + auth round trip, no task" }),
      figure(sections.overhead, `${mode}: throughput direct`, "req/s", [throughput(direct!)]),
      figure(sections.overhead, `${mode}: throughput through daemon`, "req/s", [throughput(daemon!)], {
        ratio: { value: throughput(daemon!) / throughput(direct!), against: "throughput direct" },
      }),
    );
  }
  await direct.stop();
  return figures;
}

async function runBenchmark(options: BenchOptions): Promise<Figure[]> {
  assertBinary();
  const cache = tempDir("tale-bench-cache-");
  const env = baseEnv(cache.path);
  const baseline = await measureBaseline(options, env);
  const cold = await measureColdStarts(options, cache.path, baseline);

  const warm = await startWarmDaemon(cache.path);
  const warmFigures = await measureWarmSubmits(options, warm.home, baseline);
  const memoryBefore = memoryFigures("after warm-up", await warm.home.status());
  const engineFigures = [
    ...measureDaemonEngineStarts(warm.upMs, cold.starts, warm.ready),
    ...(await measureEngineSpawns(options, warm.home.modelsDir, env, baseline)),
  ];
  const overheadFigures = await measureOverhead(options, warm.home, await warm.home.status(), env);
  const memoryAfter = memoryFigures("after load", await warm.home.status(), memoryBefore[0]);
  await warm.home.close();

  return [baseline, ...cold.figures, ...warmFigures, ...engineFigures, ...memoryBefore, ...memoryAfter, ...overheadFigures];
}

/** Generous on purpose: a safety net against a hang, not a performance limit. */
function budgetMs(options: BenchOptions): number {
  return 120_000 + options.runs * 20_000 + options.warmRuns * 2_000 + options.requests * 300;
}

function machineLine(): string {
  const [one, five] = loadavg();
  return `${availableParallelism()} cores · load average ${one!.toFixed(2)} (1 min), ${five!.toFixed(2)} (5 min)`;
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = readOptions();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\nusage: bun scripts/bench/core.ts [--runs N] [--warm-runs N] [--requests N] [--json]\n`);
    process.exitCode = 2;
    return;
  }
  guardRun({ deadlineMs: budgetMs(options) });
  const machineBefore = machineLine();
  const started = performance.now();
  await runGuarded(async () => {
    const figures = await runBenchmark(options);
    const elapsedS = (performance.now() - started) / 1000;
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ options, machine: { before: machineBefore, after: machineLine() }, elapsedS, figures }, null, 2)}\n`);
    } else {
      process.stdout.write(`\ntale core benchmark · ${machineBefore} → ${machineLine()} · ${elapsedS.toFixed(1)} s\n\n${formatTable(figures)}\n`);
    }
  });
}

await main();
