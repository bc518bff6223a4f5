/**
 * Restart after kill -9, tale against pm2 (issue 8 item 11): ten kills of the
 * ux engine, each 1.5 s after it was healthy again, on each side, in the same
 * run. tale's daemon runs with its default config; pm2 7.0.4 (installed from
 * npm into a temp folder for the run, never committed) supervises the same
 * `tale engine` command on the same model file with the daemon's settings.
 * Kill to healthy: tale, the ux engine healthy again in /v1/status with a new
 * pid; pm2, the old pid gone and /health answering again. Prints each kill,
 * the medians and maxima, and the target: every tale restart within 1.1x
 * pm2's median and no outage above 2 s. It prints; it never asserts.
 *
 *   node_modules/.bin/bun run build
 *   node_modules/.bin/bun scripts/bench/restarts.ts [--kills 10] [--json]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createDefaultConfig } from "../../src/config/defaults";
import { newSecret } from "../../src/util/bearer";
import { guardRun, onCleanup, runGuarded, tempDir } from "./lib/cleanup";
import { isAlive, killPid, timeCommand, waitGone } from "./lib/processes";
import { median } from "./lib/stats";
import { assertBinary, baseEnv, createBenchHome, taleBinary, type BenchHome } from "./lib/tale-home";

const pm2Version = "7.0.4";
/** How long each engine stays healthy before it is killed again, as in the repro. */
const healthyBeforeKillMs = 1500;
const pollMs = 10;

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { kills: { type: "string", default: "10" }, json: { type: "boolean", default: false } } });
const kills = Number(values.kills);
if (!Number.isInteger(kills) || kills < 1 || kills > 50) throw new Error(`--kills must be a whole number from 1 to 50 (got "${values.kills}")`);
const progress = (line: string) => process.stderr.write(`${line}\n`);

interface Side {
  name: string;
  /** Kills the engine and resolves with the ms until a new one is healthy. */
  killAndTime(): Promise<number>;
}

/** tale's daemon with its default config: kill -9 its ux engine, wait for /v1/status to show a new healthy one. */
async function taleSide(home: BenchHome): Promise<Side> {
  const ux = async () => (await home.status()).engines.find((engine) => engine.role === "ux")!;
  return {
    name: "tale",
    async killAndTime() {
      const before = await ux();
      if (before.state !== "healthy" || !before.pid) throw new Error(`the ux engine is ${before.state}, not healthy, before the kill`);
      const started = performance.now();
      killPid(before.pid);
      while (true) {
        const now = await ux();
        if (now.state === "healthy" && now.pid !== before.pid) return performance.now() - started;
        if (now.state === "failed") progress(`  tale: ux engine failed (circuit ${now.circuit}); waiting for it`);
        await Bun.sleep(pollMs);
      }
    },
  };
}

/** pm2 from npm, supervising the same `tale engine` command as the daemon would run, on a fixed port with a key file. */
async function pm2Side(home: BenchHome, cacheDir: string): Promise<Side> {
  const dir = tempDir("tale-bench-pm2-").path;
  progress(`installing pm2@${pm2Version} from npm into a temp folder…`);
  await timeCommand(["npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error", `pm2@${pm2Version}`], { env: process.env as Record<string, string>, timeoutMs: 300_000 });
  const pm2Home = join(dir, "pm2-home");
  mkdirSync(pm2Home);
  const env = { ...baseEnv(cacheDir), TALE_HOME: home.home, PM2_HOME: pm2Home };
  const pm2 = (args: string[]) => timeCommand([join(dir, "node_modules", ".bin", "pm2"), ...args], { env, timeoutMs: 60_000 });
  onCleanup(async () => {
    await pm2(["kill"]).catch(() => undefined);
  });

  const keyFile = join(dir, "engine-key");
  const key = newSecret();
  writeFileSync(keyFile, key, { mode: 0o600 });
  const port = await freePort();
  const { threads, slots, contextSize, maxTokens } = createDefaultConfig().builtin;
  const model = join(home.modelsDir, "tale-ux-tiny.gguf");
  const engineArgs = ["engine", "--model", model, "--port", String(port), "--threads", String(threads), "--slots", String(slots)];
  engineArgs.push("--context-size", String(contextSize), "--max-tokens", String(maxTokens), "--api-key-file", keyFile, "--no-parent-watch");
  await pm2(["start", taleBinary, "--name", "ux", "--interpreter", "none", "--", ...engineArgs]);

  const health = `http://127.0.0.1:${port}/health`;
  const answers = () => fetch(health, { signal: AbortSignal.timeout(1000) }).then((response) => response.ok, () => false);
  const pid = async () => Number((await pm2(["pid", "ux"])).stdout.trim());
  const waitAnswer = async () => {
    while (!(await answers())) await Bun.sleep(pollMs);
  };
  await waitAnswer();
  return {
    name: "pm2",
    async killAndTime() {
      const before = await pid();
      if (!before || !isAlive(before)) throw new Error(`pm2 reports no live ux engine (pid ${before})`);
      const started = performance.now();
      killPid(before);
      // Whatever answers once the old process is gone is the new one.
      await waitGone(before, 5000);
      await waitAnswer();
      return performance.now() - started;
    },
  };
}

async function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = listener;
  listener.stop(true);
  return port;
}

function format(ms: number): string {
  return ms.toFixed(0).padStart(7);
}

async function main(): Promise<void> {
  assertBinary();
  const cache = tempDir("tale-bench-cache-");
  const home = createBenchHome({ cacheDir: cache.path });
  progress("starting tale's daemon with its default config…");
  await home.tale(["up"], 120_000);
  await home.waitHealthy(120_000);
  const sides = [await taleSide(home), await pm2Side(home, cache.path)];
  const times = new Map(sides.map((side) => [side.name, [] as number[]]));
  // Rounds alternate the sides, so both see the same machine noise.
  for (let round = 1; round <= kills; round++) {
    for (const side of sides) {
      await Bun.sleep(healthyBeforeKillMs);
      const ms = await side.killAndTime();
      times.get(side.name)!.push(ms);
      progress(`kill ${String(round).padStart(2)} ${side.name}: ${ms.toFixed(0)} ms to healthy`);
    }
  }
  const final = (await home.status()).engines.find((engine) => engine.role === "ux")!;
  const tale = times.get("tale")!;
  const pm2 = times.get("pm2")!;
  const summary = {
    kills,
    tale: { ms: tale.map(Math.round), median: median(tale), max: Math.max(...tale) },
    pm2: { ms: pm2.map(Math.round), median: median(pm2), max: Math.max(...pm2) },
    ratioOfMedians: median(tale) / median(pm2),
    targetMs: 1.1 * median(pm2),
    taleWithinTarget: tale.filter((ms) => ms <= 1.1 * median(pm2)).length,
    outagesOver2s: tale.filter((ms) => ms > 2000).length,
    taleCircuitAtEnd: final.circuit,
    taleRestarts: final.restarts,
  };
  if (values.json) {
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  console.log(`\nkill -9 of the ux engine to healthy again, ${kills} kills each, ${healthyBeforeKillMs} ms after healthy (ms)\n`);
  console.log(`kill    tale     pm2`);
  for (let index = 0; index < kills; index++) console.log(`${String(index + 1).padStart(4)} ${format(tale[index]!)} ${format(pm2[index]!)}`);
  console.log(`median ${format(summary.tale.median)} ${format(summary.pm2.median)}`);
  console.log(`max    ${format(summary.tale.max)} ${format(summary.pm2.max)}`);
  console.log(`\ntale median / pm2 median: ${summary.ratioOfMedians.toFixed(2)}x`);
  console.log(`target 1.1x pm2 median = ${summary.targetMs.toFixed(0)} ms: tale max ${summary.tale.max.toFixed(0)} ms; ${summary.taleWithinTarget} of ${kills} tale restarts within it`);
  console.log(`tale outages above 2 s: ${summary.outagesOver2s}; ux circuit at the end: ${summary.taleCircuitAtEnd}, restarts ${summary.taleRestarts}`);
}

guardRun({ deadlineMs: 10 * 60_000 });
await runGuarded(main);
