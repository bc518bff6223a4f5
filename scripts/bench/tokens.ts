/**
 * Token benchmark: runs a fixed, labelled, mixed workload through the real
 * daemon and engines and prints what routing saved against sending every
 * call to the task model, how the items were routed, and latency per role.
 *
 *   node_modules/.bin/bun run build
 *   node_modules/.bin/bun scripts/bench/tokens.ts [--workload scripts/bench/workloads/mixed.json] [--concurrency 4] [--reply-tokens N] [--json]
 *
 * Items with a `session` are `tale chat` turns, sent in order through the
 * daemon's chat endpoint (history, acknowledgements and hand-offs included);
 * the others are `POST /v1/tasks` with `role: "auto"`. Every call the daemon
 * makes is counted, whichever item caused it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { TaskJson } from "../../src/api/task-json";
import { ChatClient } from "../../src/cli/chat/chat-client";
import { table } from "../../src/cli/output/task-view";
import { createDefaultConfig } from "../../src/config/defaults";
import type { Role } from "../../src/config/types";
import { findDaemon } from "../../src/daemon/launcher";
import { homePaths } from "../../src/daemon/home";
import { computeSavings, defineCostWeights, formatWeight, type Savings, type TokenReport } from "../../src/ledger";
import { guardRun, stopping, tempDir, runGuarded } from "./lib/cleanup";
import { median } from "./lib/stats";
import { assertBinary, createBenchHome, repoRoot, type BenchHome } from "./lib/tale-home";
import { readWorkload, workloadKinds, type Workload, type WorkloadItem, type WorkloadKind } from "./workloads/workload";

interface BenchOptions {
  workload: string;
  /** Standalone tasks in flight at once; chat sessions also run side by side, each one turn at a time. */
  concurrency: number;
  deadlineMs: number;
  /** builtin.maxTokens for the run: the budget of every answer that sets none (chat replies, hand-offs); tale's default when absent. */
  replyTokens?: number;
  json: boolean;
}

/** What became of one workload item. */
interface ItemRun {
  item: WorkloadItem;
  role: Role | null;
  reason: string;
  decidedBy: string;
  /** Every task the item caused: the task itself, or a chat turn's reply, acknowledgement and hand-off. */
  taskIds: string[];
  error?: string;
}

const targets = { savingsPercent: 60, complexToTask: 0.95 } as const;
/** Long-poll slice; the bench's HTTP helper gives up on a request after 30 s. */
const pollMs = 25_000;

function readOptions(): BenchOptions {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      workload: { type: "string", default: join(repoRoot, "scripts/bench/workloads/mixed.json") },
      concurrency: { type: "string", default: "4" },
      deadline: { type: "string", default: "900" },
      "reply-tokens": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const count = (flag: string, text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${flag} must be a whole number of at least 1 (got "${text}")`);
    return value;
  };
  return {
    workload: values.workload,
    concurrency: count("concurrency", values.concurrency),
    deadlineMs: count("deadline", values.deadline) * 1000,
    ...(values["reply-tokens"] ? { replyTokens: count("reply-tokens", values["reply-tokens"]) } : {}),
    json: values.json,
  };
}

function progress(message: string): void {
  process.stderr.write(`· ${message}\n`);
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function inPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function waitFinal(home: BenchHome, id: string): Promise<TaskJson> {
  while (true) {
    const task = await home.api<TaskJson>(`/v1/tasks/${id}?wait=${pollMs}`);
    if (task.status !== "queued" && task.status !== "running") return task;
    if (stopping()) throw new Error("stopped");
  }
}

async function runTask(home: BenchHome, item: WorkloadItem): Promise<ItemRun> {
  const body = { prompt: item.prompt, role: "auto", ...(item.max_tokens ? { max_tokens: item.max_tokens } : {}) };
  const task = await home.api<TaskJson>("/v1/tasks", { method: "POST", body });
  const done = await waitFinal(home, task.id);
  return {
    item,
    role: task.role as Role | null,
    reason: "",
    decidedBy: task.routed_by ?? "?",
    taskIds: [task.id],
    ...(done.status === "succeeded" ? {} : { error: `${done.status}: ${done.error?.message ?? ""}` }),
  };
}

/** One session's turns in order, as `tale chat` sends them; hand-offs run on in the background like they do there. */
async function runSession(home: BenchHome, client: ChatClient, session: string, items: WorkloadItem[], handoffs: Promise<unknown>[]): Promise<ItemRun[]> {
  const runs: ItemRun[] = [];
  for (const item of items) {
    const run: ItemRun = { item, role: null, reason: "", decidedBy: "?", taskIds: [] };
    runs.push(run);
    try {
      await client.turn(session, item.prompt, (event) => {
        if (event.type === "route") Object.assign(run, { role: event.role, reason: event.reason, decidedBy: event.decidedBy });
        if (event.type === "task") {
          run.taskIds.push(event.id);
          handoffs.push(waitFinal(home, event.id));
        }
        if (event.type === "reply") run.taskIds.push(event.taskId);
      });
    } catch (error) {
      run.error = error instanceof Error ? error.message : String(error);
    }
  }
  return runs;
}

async function runWorkload(home: BenchHome, workload: Workload, options: BenchOptions): Promise<ItemRun[]> {
  const connection = await findDaemon(homePaths(home.home));
  if (!connection) throw new Error("the daemon is not answering");
  const client = new ChatClient(connection);
  const sessions = Map.groupBy(
    workload.items.filter((item) => item.session !== undefined),
    (item) => item.session!,
  );
  const standalone = workload.items.filter((item) => item.session === undefined);
  const runs: ItemRun[] = [];
  const handoffs: Promise<unknown>[] = [];
  let done = 0;
  const tick = () => {
    done++;
    if (done % 10 === 0 || done === workload.items.length) progress(`${done}/${workload.items.length} items`);
  };
  // A day of use interleaves chats and one-off requests, so both run side by side.
  await Promise.all([
    inPool([...sessions], options.concurrency, async ([session, items]) => {
      const sessionRuns = await runSession(home, client, session, items, handoffs);
      sessionRuns.forEach(tick);
      runs.push(...sessionRuns);
    }),
    inPool(standalone, options.concurrency, async (item) => {
      runs.push(await runTask(home, item).catch((error: unknown) => ({ item, role: null, reason: "", decidedBy: "?", taskIds: [], error: String(error) })));
      tick();
    }),
  ]);
  await Promise.all(handoffs);
  return runs.sort((a, b) => a.item.index - b.item.index);
}

interface KindSummary {
  kind: WorkloadKind;
  items: number;
  chatTurns: number;
  toUx: number;
  toTask: number;
  failed: number;
  tokens: Record<Role, number>;
}

interface RoleLatency {
  role: Role;
  tasks: number;
  p50LatencyMs: number;
  p50TtftMs: number;
}

interface BenchResult {
  workload: { name: string; items: number; chatTurns: number; sessions: number; replyTokens: number };
  kinds: KindSummary[];
  complexToTask: number;
  conversationalToUx: number;
  misrouted: { index: number; kind: WorkloadKind; role: Role | null; reason: string; prompt: string }[];
  savings: Savings & { source: "daemon /v1/tokens" | "task records" };
  /** The savings computed from the task records, to cross-check the daemon's ledger when both exist. */
  savingsFromTasks: number | null;
  /** Savings of the calls chat turns caused and of the API tasks, apart: where the savings come from. */
  savingsByPath: { chat: number | null; api: number | null };
  latency: RoleLatency[];
  errors: { index: number; error: string }[];
  targetsMet: boolean;
  elapsedS: number;
}

const expectedRole = (kind: WorkloadKind): Role => (kind === "complex" ? "task" : "ux");

function summarize(runs: ItemRun[], tasks: Map<string, TaskJson>): KindSummary[] {
  return workloadKinds.map((kind) => {
    const ofKind = runs.filter((run) => run.item.kind === kind);
    const tokens: Record<Role, number> = { ux: 0, task: 0 };
    for (const id of ofKind.flatMap((run) => run.taskIds)) {
      const task = tasks.get(id);
      if (task?.role) tokens[task.role as Role] += task.usage.total_tokens;
    }
    return {
      kind,
      items: ofKind.length,
      chatTurns: ofKind.filter((run) => run.item.session !== undefined).length,
      toUx: ofKind.filter((run) => run.role === "ux").length,
      toTask: ofKind.filter((run) => run.role === "task").length,
      failed: ofKind.filter((run) => run.error !== undefined).length,
      tokens,
    };
  });
}

function latencies(tasks: TaskJson[]): RoleLatency[] {
  return (["ux", "task"] as const).map((role) => {
    const served = tasks.filter((task) => task.role === role && task.status === "succeeded");
    return {
      role,
      tasks: served.length,
      p50LatencyMs: median(served.map((task) => task.latency_ms ?? Number.NaN)),
      p50TtftMs: median(served.flatMap((task) => (task.timings.ttft_ms === null ? [] : [task.timings.ttft_ms]))),
    };
  });
}

/** Savings from the task records: each task's final tokens, priced like the ledger prices calls. */
function savingsOfTasks(tasks: TaskJson[], weights: ReturnType<typeof defineCostWeights>): Savings {
  const usage = tasks.flatMap((task) =>
    task.role && task.model ? [{ model: task.model, role: task.role as Role, promptTokens: task.usage.prompt_tokens, completionTokens: task.usage.completion_tokens }] : [],
  );
  return computeSavings(usage, weights);
}

async function daemonTokenReport(home: BenchHome): Promise<TokenReport | undefined> {
  try {
    return await home.api<TokenReport>("/v1/tokens");
  } catch (error) {
    // Until the route is mounted the daemon answers 404; anything else is a real failure.
    if (error instanceof Error && / 404: /.test(error.message)) return undefined;
    throw error;
  }
}

async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  assertBinary();
  const workload = readWorkload(options.workload);
  const started = performance.now();
  const cache = tempDir("tale-bench-cache-");
  const home = createBenchHome({ cacheDir: cache.path });
  if (options.replyTokens) writeFileSync(join(home.home, "config.json"), JSON.stringify({ builtin: { maxTokens: options.replyTokens } }));
  progress(`starting the daemon in ${home.home}`);
  await home.tale(["up"], 60_000);
  const status = await home.waitHealthy(60_000);
  progress(`engines healthy: ${status.engines.map((engine) => `${engine.role} ${engine.model} (${engine.parameters ?? "?"} parameters)`).join(", ")}`);

  const runs = await runWorkload(home, workload, options);
  const { tasks: taskList } = await home.api<{ tasks: TaskJson[] }>("/v1/tasks?limit=1000");
  const tasks = new Map(taskList.map((task) => [task.id, task]));
  const weights = defineCostWeights({ engines: status.engines, config: createDefaultConfig().ledger });
  const fromTasks = savingsOfTasks(taskList, weights);
  const tasksOf = (runsOfPath: ItemRun[]) => runsOfPath.flatMap((run) => run.taskIds.flatMap((id) => tasks.get(id) ?? []));
  const savingsByPath = {
    chat: savingsOfTasks(tasksOf(runs.filter((run) => run.item.session !== undefined)), weights).percent,
    api: savingsOfTasks(tasksOf(runs.filter((run) => run.item.session === undefined)), weights).percent,
  };
  const report = await daemonTokenReport(home);
  const kinds = summarize(runs, tasks);
  const byKind = Object.fromEntries(kinds.map((summary) => [summary.kind, summary])) as Record<WorkloadKind, KindSummary>;
  const conversational = byKind.conversation.items + byKind.simple.items;
  const savings = report ? { ...report.savings, source: "daemon /v1/tokens" as const } : { ...fromTasks, source: "task records" as const };
  const complexToTask = byKind.complex.toTask / byKind.complex.items;
  const result: BenchResult = {
    workload: {
      name: workload.name,
      items: workload.items.length,
      chatTurns: runs.filter((run) => run.item.session !== undefined).length,
      sessions: new Set(workload.items.flatMap((item) => item.session ?? [])).size,
      replyTokens: options.replyTokens ?? createDefaultConfig().builtin.maxTokens,
    },
    kinds,
    complexToTask,
    conversationalToUx: (byKind.conversation.toUx + byKind.simple.toUx) / conversational,
    misrouted: runs
      .filter((run) => run.role !== null && run.role !== expectedRole(run.item.kind))
      .map((run) => ({ index: run.item.index, kind: run.item.kind, role: run.role, reason: run.reason || run.decidedBy, prompt: run.item.prompt })),
    savings,
    savingsFromTasks: fromTasks.percent,
    savingsByPath,
    latency: latencies(taskList),
    errors: runs.flatMap((run) => (run.error === undefined ? [] : [{ index: run.item.index, error: run.error }])),
    targetsMet: (savings.percent ?? 0) >= targets.savingsPercent && complexToTask >= targets.complexToTask,
    elapsedS: (performance.now() - started) / 1000,
  };
  await home.close();
  return result;
}

const percent = (fraction: number) => `${(100 * fraction).toFixed(1)}%`;
const formatPercent = (value: number | null) => (value === null ? "n/a" : `${value.toFixed(1)}%`);
const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : "-");

function render(result: BenchResult): string {
  const { savings } = result;
  const totalTokens = result.kinds.reduce((sum, kind) => sum + kind.tokens.ux + kind.tokens.task, 0);
  const lines = [
    `tale token benchmark · workload "${result.workload.name}": ${result.workload.items} items (${result.workload.chatTurns} chat turns in ${result.workload.sessions} sessions, ${result.workload.items - result.workload.chatTurns} API tasks) · answers without max_tokens capped at ${result.workload.replyTokens} tokens · ${result.elapsedS.toFixed(1)} s`,
    "",
    table(
      ["KIND", "ITEMS", "CHAT", "→ UX", "→ TASK", "FAILED", "UX TOKENS", "TASK TOKENS", "TOKEN SHARE"],
      result.kinds.map((kind) => [
        kind.kind,
        String(kind.items),
        String(kind.chatTurns),
        String(kind.toUx),
        String(kind.toTask),
        String(kind.failed),
        kind.tokens.ux.toLocaleString("en-US"),
        kind.tokens.task.toLocaleString("en-US"),
        percent((kind.tokens.ux + kind.tokens.task) / totalTokens),
      ]),
    ),
    "",
    `complex items routed to task:            ${percent(result.complexToTask)} (target ≥ ${percent(targets.complexToTask)})`,
    `conversation and simple items to ux:     ${percent(result.conversationalToUx)}`,
    `savings against every call on ${savings.baselineModel ?? "the task model"}: ${formatPercent(savings.percent)} (target ≥ ${targets.savingsPercent}%, from the ${savings.source}${result.savingsFromTasks !== null && savings.source !== "task records" ? `; task records give ${result.savingsFromTasks.toFixed(1)}%` : ""})`,
    `  chat turns alone ${formatPercent(result.savingsByPath.chat)}, API tasks alone ${formatPercent(result.savingsByPath.api)}`,
    `  weighted cost ${Math.round(savings.actual).toLocaleString("en-US")} vs baseline ${Math.round(savings.baseline).toLocaleString("en-US")}; weights ${Object.entries(savings.weights).map(([model, weight]) => `${model} ${formatWeight(weight.weight)} (${weight.source})`).join(", ")}`,
    `  ${savings.formula}`,
    ...savings.notes.map((note) => `  ${note}`),
    "",
    table(
      ["ROLE", "TASKS", "P50 LATENCY", "P50 FIRST TOKEN"],
      result.latency.map((role) => [role.role, String(role.tasks), ms(role.p50LatencyMs), ms(role.p50TtftMs)]),
    ),
    "  (from submission, queue wait included, with the workload's concurrency)",
    "",
    `targets ${result.targetsMet ? "met" : "missed"}`,
  ];
  if (result.misrouted.length) {
    lines.push("", "misrouted items:");
    for (const item of result.misrouted) lines.push(`  #${item.index} ${item.kind} → ${item.role} (${item.reason}): ${JSON.stringify(item.prompt.slice(0, 90))}`);
  }
  if (result.errors.length) {
    lines.push("", "failed items:");
    for (const failure of result.errors) lines.push(`  #${failure.index}: ${failure.error}`);
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = readOptions();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\nusage: bun scripts/bench/tokens.ts [--workload FILE] [--concurrency N] [--reply-tokens N] [--deadline SECONDS] [--json]\n`);
    process.exitCode = 2;
    return;
  }
  guardRun({ deadlineMs: options.deadlineMs });
  await runGuarded(async () => {
    const result = await runBenchmark(options);
    process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `\n${render(result)}`);
  });
}

await main();
