/**
 * What a misbehaving routing plugin costs a submission: bursts of concurrent
 * `role: auto` tasks against daemons whose router loops forever, next to one
 * whose router is benign, in the same run and in alternating rounds. The
 * figure is the acceptance time of `POST /v1/tasks` (routing included), and
 * its p99 over the benign p99, in units of the plugin deadline. Engines are
 * an instant stand-in, so the only slow part is routing. Prints figures;
 * never passes or fails.
 *
 *   bun scripts/bench/routing-stall.ts [--burst 50] [--rounds 6] [--json]
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compileFixture } from "../../tests/helpers/compile-plugin";
import { guardRun, runGuarded, tempDir } from "./lib/cleanup";
import { startInstantEngine } from "./lib/start-instant-engine";
import { median, percentile } from "./lib/stats";
import { assertBinary, createBenchHome, type BenchHome } from "./lib/tale-home";

const { values } = parseArgs({ options: { burst: { type: "string", default: "50" }, rounds: { type: "string", default: "6" }, json: { type: "boolean" } } });
const burst = Number(values.burst);
const rounds = Number(values.rounds);
const deadlineMs = 50;
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Case {
  name: string;
  plugin: string;
  runtime: object;
  home?: BenchHome;
  samples: number[];
}

interface PluginRow {
  name: string;
  state: string;
  breaker: string;
  timeouts: number;
  restarts: number;
}

const pluginsOf = async (home: BenchHome) => (await home.api<{ plugins: PluginRow[] }>("/v1/plugins")).plugins;

/** A host killed in the last burst restarts on a core the next burst would share: start each burst from a quiet machine. */
async function settle(home: BenchHome): Promise<void> {
  const deadline = performance.now() + 10_000;
  while ((await pluginsOf(home)).some((plugin) => plugin.state !== "ready") && performance.now() < deadline) await Bun.sleep(25);
  await Bun.sleep(300);
}

/** One burst: `burst` auto submissions at once; the infinite-loop fixture spins on a budget of 7 tokens, the router fixture answers. */
async function burstOnce(home: BenchHome, round: number): Promise<number[]> {
  await settle(home);
  const { baseUrl, token } = home.daemon();
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const ids: string[] = [];
  const samples = await Promise.all(
    Array.from({ length: burst }, async (_, index) => {
      const sent = performance.now();
      const response = await fetch(`${baseUrl}/v1/tasks`, { method: "POST", headers, body: JSON.stringify({ prompt: `hello ${round}-${index}`, role: "auto", max_tokens: 7 }) });
      const elapsed = performance.now() - sent;
      if (response.status !== 201) throw new Error(`POST /v1/tasks answered ${response.status}: ${await response.text()}`);
      ids.push(((await response.json()) as { id: string }).id);
      return elapsed;
    }),
  );
  // Let the burst finish so the next round starts from an idle daemon.
  await Promise.all(ids.map((id) => home.api(`/v1/tasks/${id}?wait=20000`)));
  return samples;
}

async function main(): Promise<void> {
  assertBinary();
  guardRun({ deadlineMs: 300_000 });
  const engine = await startInstantEngine();
  const cache = tempDir("tale-bench-cache-");
  const remote = { engine: "remote", baseUrl: engine.baseUrl, model: "instant", slots: burst };
  const cases: Case[] = [
    { name: "benign router", plugin: "router", runtime: {}, samples: [] },
    { name: "looping router, default breaker", plugin: "infinite-loop", runtime: {}, samples: [] },
    { name: "looping router, breakerFailures 1000", plugin: "infinite-loop", runtime: { breakerFailures: 1000 }, samples: [] },
  ];
  for (const item of cases) {
    const home = createBenchHome({ cacheDir: cache.path });
    const config = {
      models: { ux: remote, task: remote },
      scheduler: { maxConcurrent: burst, maxQueued: burst * 4 },
      plugins: [{ path: await compileFixture(item.plugin) }],
      pluginRuntime: { callTimeoutMs: deadlineMs, ...item.runtime },
      log: { level: "warn" },
    };
    await Bun.write(join(home.home, "config.json"), JSON.stringify(config));
    await home.tale(["up"]);
    await home.waitHealthy();
    item.home = home;
  }
  for (let round = 0; round < rounds; round++) {
    for (const item of cases) {
      log(`round ${round + 1}/${rounds}: ${burst} auto tasks at once, ${item.name}…`);
      const samples = await burstOnce(item.home!, round);
      log(`  p50 ${median(samples).toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms`);
      item.samples.push(...samples);
    }
  }

  const benignP99 = percentile(cases[0]!.samples, 0.99);
  const rows = await Promise.all(
    cases.map(async (item) => {
      const plugins = await pluginsOf(item.home!);
      const plugin = plugins.find((entry) => entry.name !== "router") ?? plugins[0]!;
      const p99 = percentile(item.samples, 0.99);
      return {
        case: item.name,
        n: item.samples.length,
        p50Ms: median(item.samples),
        p99Ms: p99,
        maxMs: Math.max(...item.samples),
        // The target: the looping p99 within 1.5 deadlines of the benign p99.
        overBenignInDeadlines: (p99 - benignP99) / deadlineMs,
        breaker: plugin.breaker,
        timeouts: plugin.timeouts,
        restarts: plugin.restarts,
      };
    }),
  );
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ burst, rounds, deadlineMs, rows }, null, 2)}\n`);
    return;
  }
  console.log(`routing stall: ${rounds} rounds of ${burst} concurrent auto tasks per case, plugin deadline ${deadlineMs} ms, instant engines`);
  console.log(`${"CASE".padEnd(38)} ${"P50".padStart(9)} ${"P99".padStart(9)} ${"MAX".padStart(9)}  P99-BENIGN  BREAKER  TIMEOUTS  RESTARTS`);
  for (const row of rows) {
    const ms = (value: number) => `${value.toFixed(1)} ms`.padStart(9);
    console.log(
      `${row.case.padEnd(38)} ${ms(row.p50Ms)} ${ms(row.p99Ms)} ${ms(row.maxMs)}  ${`${row.overBenignInDeadlines.toFixed(2)}×dl`.padStart(10)}  ${row.breaker.padEnd(7)}  ${String(row.timeouts).padStart(8)}  ${String(row.restarts).padStart(8)}`,
    );
  }
}

await runGuarded(main);
