/**
 * Load on the generated default models: 1,000 tasks from 200 concurrent
 * clients through the real API (the same runner as `tale stress-test`):
 * completion time, latency, the daemon's peak memory, lost tasks, and the
 * routing plugin's call times and host kills under that load.
 *
 *   bun scripts/bench/load.ts [--tasks 1000] [--concurrency 200] [--chaos] [--json]
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { defaultMix } from "../../src/cli/stress/mix";
import { formatReport } from "../../src/cli/stress/report";
import { runStress } from "../../src/cli/stress/run";
import { guardRun, runGuarded } from "./lib/cleanup";
import { formatPluginFigures, pluginFigures } from "./lib/plugin-figures";
import { memoryOf } from "./lib/processes";
import { assertBinary, createBenchHome, repoRoot } from "./lib/tale-home";

const { values } = parseArgs({
  options: { tasks: { type: "string", default: "1000" }, concurrency: { type: "string", default: "200" }, chaos: { type: "boolean" }, json: { type: "boolean" } },
});

async function main(): Promise<void> {
  assertBinary();
  guardRun({ deadlineMs: 600_000 });
  // The test suite's runtime cache: the engine runtime is unpacked once per machine, not per run.
  const home = createBenchHome({ cacheDir: join(repoRoot, ".tale-test", "cache") });
  await home.tale(["up"]);
  await home.waitHealthy();
  const { baseUrl, token, pid } = home.daemon();
  let peakRssMb = 0;
  const sampleMemory = setInterval(() => (peakRssMb = Math.max(peakRssMb, memoryOf(pid).rssMb)), 250);
  const report = await runStress({
    baseUrl,
    token,
    tasks: Number(values.tasks),
    concurrency: Number(values.concurrency),
    durationMs: 540_000,
    mix: defaultMix,
    chaos: values.chaos,
    taskWaitMs: 300_000,
    progressIntervalMs: 2_000,
    onProgress: (p) => process.stderr.write(`${(p.elapsedMs / 1000).toFixed(0)}s done ${p.done}/${p.submitted} running ${p.running} queued ${p.queued} failed ${p.failed}\n`),
  });
  clearInterval(sampleMemory);
  const memory = memoryOf(pid);
  const plugins = await pluginFigures(home);
  const figures = { ...report, daemonRssMb: { sampledPeak: peakRssMb, end: memory.rssMb, vmHwm: memory.peakMb }, plugins };
  if (values.json) process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  else {
    process.stdout.write(`\ntale load benchmark · default models\n${formatReport(report)}`);
    process.stdout.write(`  daemon RSS   peak ${memory.peakMb.toFixed(0)} MB (VmHWM) · ${memory.rssMb.toFixed(0)} MB at the end\n`);
    process.stdout.write(formatPluginFigures(plugins));
  }
  if (report.tasks.lost > 0) process.exitCode = 1;
}

await runGuarded(main);
