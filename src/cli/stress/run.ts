import type { TaskJson } from "../../api/task-json";
import type { StatusReport } from "../../api/status-report";
import { type MixItem, pickFromMix } from "./mix";
import { type ChaosKill, latencySummary, type StressReport } from "./report";

export interface StressOptions {
  baseUrl: string;
  token: string;
  tasks: number;
  /** Clients submitting and waiting at once. */
  concurrency: number;
  /** No new task is submitted after this; tasks already acknowledged are still waited for. */
  durationMs: number;
  mix: readonly MixItem[];
  /** Kill an engine process part-way, at most `maxKills` times. */
  chaos?: boolean;
  maxKills?: number;
  onProgress?: (progress: StressProgress) => void;
  progressIntervalMs?: number;
  /** How long one acknowledged task may take to reach a final state before it counts as lost. */
  taskWaitMs?: number;
}

export interface StressProgress {
  elapsedMs: number;
  submitted: number;
  done: number;
  failed: number;
  running: number;
  queued: number;
  /** Final tasks per second so far. */
  throughput: number;
}

/** Refusals that mean "not now": the client backs off and submits again. */
const retryableRefusals = new Set(["OVERLOADED", "RATE_LIMITED"]);
const maxSubmitTries = 20;
const longPollMs = 30_000;

/**
 * Drives the daemon's real HTTP API from many concurrent clients and accounts
 * for every acknowledged task: each must reach a final state, or it is lost.
 */
export async function runStress(options: StressOptions): Promise<StressReport> {
  const started = Date.now();
  const submitDeadline = started + options.durationMs;
  const taskWaitMs = options.taskWaitMs ?? 120_000;
  const headers = { authorization: `Bearer ${options.token}`, "content-type": "application/json" };
  const call = (path: string, init: RequestInit = {}) => fetch(`${options.baseUrl}${path}`, { ...init, headers });

  const acknowledged = new Set<string>();
  const finals = new Map<string, TaskJson>();
  const errorsByCode: Record<string, number> = {};
  const latency: Record<string, number[]> = {};
  const retries = { submissions: 0, attempts: 0 };
  const chaos: ChaosKill[] = [];
  const countError = (code: string) => void (errorsByCode[code] = (errorsByCode[code] ?? 0) + 1);
  let next = 0;
  let queue = { queued: 0, running: 0 };

  const submit = async (item: MixItem): Promise<string | undefined> => {
    for (let attempt = 1; attempt <= maxSubmitTries; attempt++) {
      let code: string;
      try {
        const response = await call("/v1/tasks", { method: "POST", body: JSON.stringify({ prompt: item.prompt, role: item.role, max_tokens: item.max_tokens }) });
        const body = (await response.json()) as TaskJson & { error?: { code: string } };
        if (response.status === 201) return body.id;
        code = body.error?.code ?? `HTTP_${response.status}`;
      } catch {
        code = "NETWORK";
      }
      countError(code);
      if (!retryableRefusals.has(code) && code !== "NETWORK") return undefined;
      retries.submissions++;
      await Bun.sleep(Math.min(1_000, 25 * 2 ** attempt) * Math.random());
    }
    return undefined;
  };

  const waitFinal = async (id: string): Promise<TaskJson | undefined> => {
    const giveUpAt = Date.now() + taskWaitMs;
    while (Date.now() < giveUpAt) {
      try {
        const wait = Math.min(longPollMs, giveUpAt - Date.now());
        const task = (await (await call(`/v1/tasks/${id}?wait=${wait}`)).json()) as TaskJson;
        if (task.status !== "queued" && task.status !== "running") return task;
      } catch {
        // The daemon may be busy restarting an engine; ask again.
        await Bun.sleep(100);
      }
    }
    return undefined;
  };

  const client = async () => {
    while (next < options.tasks && Date.now() < submitDeadline) {
      const item = pickFromMix(options.mix, next++);
      const id = await submit(item);
      if (!id) continue;
      acknowledged.add(id);
      const task = await waitFinal(id);
      if (!task) continue;
      finals.set(id, task);
      retries.attempts += Math.max(0, task.attempts - 1);
      if (task.error) countError(task.error.code);
      if (task.status === "succeeded" && task.latency_ms !== null) (latency[task.role ?? "none"] ??= []).push(task.latency_ms);
    }
  };

  const progress = (): StressProgress => {
    const elapsedMs = Date.now() - started;
    const failed = [...finals.values()].filter((task) => task.status !== "succeeded").length;
    return { elapsedMs, submitted: acknowledged.size, done: finals.size, failed, ...queue, throughput: finals.size / Math.max(0.001, elapsedMs / 1000) };
  };
  // Kills spread over the run: after a third, then two thirds, of the tasks are final.
  let killing: Promise<void> | undefined;
  const maybeKill = async (status: StatusReport) => {
    const threshold = ((chaos.length + 1) / ((options.maxKills ?? 2) + 1)) * options.tasks;
    if (finals.size < threshold) return;
    const victims = status.engines.filter((engine) => engine.pid && engine.state === "healthy");
    const victim = victims.find((engine) => engine.role === (chaos.length % 2 ? "ux" : "task")) ?? victims[0];
    if (!victim?.pid) return;
    const kill: ChaosKill = { engine: victim.id, role: victim.role, pid: victim.pid, atMs: Date.now() - started, recoveredMs: null };
    chaos.push(kill);
    try {
      process.kill(victim.pid, "SIGKILL");
    } catch {
      return;
    }
    const killedAt = Date.now();
    while (Date.now() - killedAt < 30_000) {
      await Bun.sleep(50);
      const now = (await (await call("/v1/status")).json().catch(() => undefined)) as StatusReport | undefined;
      const engine = now?.engines.find((candidate) => candidate.id === victim.id);
      if (engine?.state === "healthy" && engine.pid !== victim.pid) {
        kill.recoveredMs = Date.now() - killedAt;
        return;
      }
    }
  };

  const readStatus = async () => {
    const status = (await (await call("/v1/status")).json()) as StatusReport;
    queue = { queued: status.queue.queued, running: status.queue.running };
    return status;
  };
  let running = true;
  const watcher = (async () => {
    while (running) {
      try {
        const status = await readStatus();
        // Recovery is awaited on the side so progress keeps flowing while the engine restarts.
        if (options.chaos && !killing && chaos.length < (options.maxKills ?? 2)) killing = maybeKill(status).finally(() => (killing = undefined));
      } catch {
        // Progress is best effort; the run's accounting does not depend on it.
      }
      options.onProgress?.(progress());
      await Bun.sleep(options.progressIntervalMs ?? 500);
    }
  })();

  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, options.tasks)) }, client));
  running = false;
  await watcher;
  await killing;
  await readStatus().catch(() => undefined);
  options.onProgress?.(progress());

  const durationMs = Date.now() - started;
  const all = [...finals.values()];
  const count = (status: TaskJson["status"]) => all.filter((task) => task.status === status).length;
  return {
    startedAt: new Date(started).toISOString(),
    durationMs,
    concurrency: options.concurrency,
    tasks: {
      submitted: acknowledged.size,
      succeeded: count("succeeded"),
      failed: count("failed"),
      cancelled: count("cancelled"),
      timedOut: count("timed_out"),
      lost: acknowledged.size - finals.size,
    },
    throughput: finals.size / Math.max(0.001, durationMs / 1000),
    latencyMs: latencySummary(latency),
    errorsByCode,
    retries,
    chaos,
  };
}
