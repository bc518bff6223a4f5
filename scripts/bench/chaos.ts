/**
 * Chaos: a steady load of tasks on real builtin engines while engines are
 * killed with SIGKILL at random intervals, a bounded number of times. Prints
 * the time from each kill to the engine being healthy again (p50, max), how
 * many tasks were retried, how many failed and with which codes, and how
 * many were lost (acknowledged but never finished), which must be 0.
 *
 *   node_modules/.bin/bun run build
 *   node_modules/.bin/bun scripts/bench/chaos.ts [--kills 8] [--rate 8] [--max-tokens 24] [--json]
 *
 * The crash-loop limit is raised above --kills for the run: these kills are
 * the experiment, and an engine whose circuit opened would measure the
 * cool-down instead of recovery.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { TaskJson } from "../../src/api/task-json";
import type { Role } from "../../src/config/types";
import { guardRun, runCleanup, tempDir } from "./lib/cleanup";
import { killPid } from "./lib/processes";
import { figure, formatTable } from "./lib/report";
import { assertBinary, createBenchHome, sharedModel, type BenchHome } from "./lib/tale-home";

interface ChaosOptions {
  kills: number;
  /** Tasks submitted per second while the kills go on. */
  rate: number;
  maxTokens: number;
  json: boolean;
}

interface KillRecord {
  engineId: string;
  /** Healthy engines the victim was drawn from. */
  candidates: number;
  role: Role;
  recoveredMs: number;
}

function readOptions(): ChaosOptions {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      kills: { type: "string", default: "8" },
      rate: { type: "string", default: "8" },
      "max-tokens": { type: "string", default: "24" },
      json: { type: "boolean", default: false },
    },
  });
  const count = (flag: string, text: string, max: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`--${flag} must be a whole number from 1 to ${max} (got "${text}")`);
    return value;
  };
  return { kills: count("kills", values.kills!, 50), rate: count("rate", values.rate!, 50), maxTokens: count("max-tokens", values["max-tokens"]!, 512), json: values.json! };
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

/** Kills one random healthy engine and waits until that engine is healthy again on a new process. */
async function killOne(home: BenchHome): Promise<KillRecord> {
  const engines = (await home.status()).engines;
  const healthy = engines.filter((engine) => engine.state === "healthy" && engine.pid);
  if (!healthy.length) throw new Error(`no healthy engine to kill: ${engines.map((engine) => `${engine.id} ${engine.state}`).join(", ")}`);
  const victim = healthy[Math.floor(Math.random() * healthy.length)]!;
  const killedAt = performance.now();
  killPid(victim.pid!);
  const deadline = killedAt + 60_000;
  while (performance.now() < deadline) {
    const engine = (await home.status()).engines.find((candidate) => candidate.id === victim.id)!;
    if (engine.state === "healthy" && engine.pid !== victim.pid) {
      return { engineId: victim.id, role: victim.role, candidates: healthy.length, recoveredMs: performance.now() - killedAt };
    }
    await Bun.sleep(10);
  }
  throw new Error(`engine ${victim.id} was not healthy again within 60 s of its kill`);
}

async function run(options: ChaosOptions): Promise<void> {
  assertBinary();
  const cache = tempDir("tale-bench-chaos-cache-");
  const home = createBenchHome({ cacheDir: cache.path });
  const model = existsSync(sharedModel) ? sharedModel : "default";
  const engine = { engine: "builtin", model, contextSize: 512 };
  writeFileSync(
    join(home.home, "tale.config.json"),
    JSON.stringify({
      models: { ux: engine, task: engine },
      supervisor: { healthIntervalMs: 500, backoffInitialMs: 100, crashLoopCount: options.kills + 1 },
      scheduler: { maxAttempts: 3 },
      log: { level: "warn" },
    }),
  );
  progress(`starting the daemon (model ${model})…`);
  await home.tale(["up"], 120_000);
  await home.waitHealthy(120_000);

  const submitted: string[] = [];
  let loadRunning = true;
  const load = (async () => {
    let index = 0;
    while (loadRunning) {
      const role: Role = index % 2 ? "task" : "ux";
      const task = await home.api<TaskJson>("/v1/tasks", { method: "POST", body: { prompt: `chaos ${index++}`, role, max_tokens: options.maxTokens } });
      submitted.push(task.id);
      await Bun.sleep(1000 / options.rate);
    }
  })();

  const kills: KillRecord[] = [];
  try {
    for (let round = 0; round < options.kills; round++) {
      await Bun.sleep(500 + Math.random() * 1500);
      const record = await killOne(home);
      kills.push(record);
      progress(`kill ${round + 1}/${options.kills}: ${record.engineId} healthy again after ${Math.round(record.recoveredMs)} ms (of ${record.candidates} healthy)`);
    }
  } finally {
    loadRunning = false;
    await load;
  }

  progress(`waiting for ${submitted.length} tasks to finish…`);
  const finalStates = new Set(["succeeded", "failed", "timed_out", "cancelled"]);
  const deadline = performance.now() + 120_000;
  let tasks: TaskJson[] = [];
  while (performance.now() < deadline) {
    tasks = await Promise.all(submitted.map((id) => home.api<TaskJson>(`/v1/tasks/${id}`)));
    if (tasks.every((task) => finalStates.has(task.status))) break;
    await Bun.sleep(200);
  }
  const lost = tasks.filter((task) => !finalStates.has(task.status)).length + (submitted.length - tasks.length);
  const retried = tasks.filter((task) => task.attempts > 1).length;
  const failedByCode: Record<string, number> = {};
  for (const task of tasks) if (task.status !== "succeeded") failedByCode[task.error?.code ?? task.status] = (failedByCode[task.error?.code ?? task.status] ?? 0) + 1;
  const result = {
    kills: kills.length,
    killToHealthyMs: kills.map((kill) => Math.round(kill.recoveredMs)),
    tasks: submitted.length,
    succeeded: tasks.filter((task) => task.status === "succeeded").length,
    retried,
    failed: failedByCode,
    lost,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatTable([figure("chaos: SIGKILL of a random engine under load", "kill → healthy", "ms", result.killToHealthyMs)])}\n`);
    process.stdout.write(
      `tasks ${result.tasks} · succeeded ${result.succeeded} · retried ${retried} · failed ${Object.entries(failedByCode).map(([code, n]) => `${code} ${n}`).join(", ") || "0"} · lost ${lost}\n`,
    );
  }
  if (lost > 0) process.exitCode = 1;
}

guardRun({ deadlineMs: 10 * 60_000 });
try {
  await run(readOptions());
} finally {
  await runCleanup();
}
