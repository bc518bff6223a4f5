import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { AttemptEnd } from "../scheduler";
import type { Task } from "../store";
import { requestLatencyBuckets, timePerOutputTokenBuckets, timeToFirstTokenBuckets } from "./buckets";
import { priorityBand, taskLabels } from "./labels";

const engineLabels = ["role", "engine", "model"] as const;
const finalStatuses = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

export interface RequestMetrics {
  attemptEnded(attempt: AttemptEnd): void;
  taskChanged(task: Task): void;
}

/**
 * What the scheduler's callbacks tell: attempts (per engine) and tasks (per
 * role). Names mirror vLLM's where the meaning is the same; a task's time
 * counts from its submission, as a vLLM request's does from its arrival.
 */
export function requestMetrics(registry: Registry, options: { queued: () => readonly Task[]; now?: () => number }): RequestMetrics {
  const now = options.now ?? Date.now;
  const registers = [registry];
  const requests = new Counter({
    name: "tale_requests_total",
    help: "Engine attempts by how they ended: succeeded, failed, cancelled, timed_out, retried or interrupted (daemon shutdown).",
    labelNames: [...engineLabels, "outcome"],
    registers,
  });
  const promptTokens = new Counter({ name: "tale_prompt_tokens_total", help: "Prompt tokens processed (vllm:prompt_tokens_total).", labelNames: engineLabels, registers });
  const generationTokens = new Counter({
    name: "tale_generation_tokens_total",
    help: "Completion tokens generated, those of cut-short attempts too (vllm:generation_tokens_total).",
    labelNames: engineLabels,
    registers,
  });
  const timePerOutputToken = new Histogram({
    name: "tale_time_per_output_token_seconds",
    help: "Per attempt: time after the first token divided by the tokens after it (vllm:time_per_output_token_seconds).",
    labelNames: engineLabels,
    buckets: timePerOutputTokenBuckets,
    registers,
  });
  const timeToFirstToken = new Histogram({
    name: "tale_time_to_first_token_seconds",
    help: "Submission to the first token, queue wait and retries included (vllm:time_to_first_token_seconds).",
    labelNames: engineLabels,
    buckets: timeToFirstTokenBuckets,
    registers,
  });
  const e2eLatency = new Histogram({
    name: "tale_e2e_request_latency_seconds",
    help: "Submission to the final state, for every final state (vllm:e2e_request_latency_seconds).",
    labelNames: [...engineLabels, "status"],
    buckets: requestLatencyBuckets,
    registers,
  });
  const queueTime = new Histogram({
    name: "tale_request_queue_time_seconds",
    help: "Submission to the first attempt's start (vllm:request_queue_time_seconds).",
    labelNames: ["role"],
    buckets: requestLatencyBuckets,
    registers,
  });
  const admissions = new Counter({ name: "tale_scheduler_admissions_total", help: "Tasks accepted into the queue, by the role they were routed to.", labelNames: ["role"], registers });
  const routing = new Counter({
    name: "tale_routing_decisions_total",
    help: "Roles given to new tasks, by who decided: explicit (the caller), fallback (built-in policy) or plugin:<name>.",
    labelNames: ["role", "routed_by"],
    registers,
  });
  const finished = new Counter({
    name: "tale_tasks_finished_total",
    help: "Tasks that reached a final state: succeeded, failed, cancelled or timed_out.",
    labelNames: ["role", "status"],
    registers,
  });
  const retries = new Counter({ name: "tale_scheduler_retries_total", help: "Attempts that failed and were queued again.", labelNames: ["role", "engine"], registers });

  // Queued and running tasks, so the gauges below cost a walk over live work (bounded by scheduler.maxQueued) and no query.
  const active = new Map<string, { status: "queued" | "running"; band: string; role: string }>();
  // Work a previous daemon left queued (or running: the scheduler re-queues it on start, telling no one) was admitted
  // then, not now. Read at the first scrape, after that re-queueing; tasks heard of since keep what they told.
  let seeded = false;
  const seed = () => {
    if (seeded) return;
    seeded = true;
    for (const task of options.queued()) if (!active.has(task.id)) active.set(task.id, { status: "queued", band: priorityBand(task.priority), role: task.role ?? "none" });
  };
  new Gauge({
    name: "tale_num_requests_waiting",
    help: "Tasks waiting in the queue, by priority band (vllm:num_requests_waiting).",
    labelNames: ["priority"],
    registers,
    collect() {
      seed();
      this.reset();
      for (const band of ["low", "normal", "high", "critical"]) this.set({ priority: band }, 0);
      for (const task of active.values()) if (task.status === "queued") this.inc({ priority: task.band });
    },
  });
  new Gauge({
    name: "tale_num_requests_running",
    help: "Tasks running on an engine, by role (vllm:num_requests_running).",
    labelNames: ["role"],
    registers,
    collect() {
      seed();
      this.reset();
      for (const task of active.values()) if (task.status === "running") this.inc({ role: task.role });
    },
  });

  // Tokens per second per engine over the time between two scrapes (at least a second): a direct reading for dashboards without rate().
  const generatedSince = new Map<string, { labels: Record<string, string>; tokens: number }>();
  let lastRateAt = now();
  new Gauge({
    name: "tale_generation_tokens_per_second",
    help: "Completion tokens per second per engine since the previous scrape (at least a second before).",
    labelNames: engineLabels,
    registers,
    collect() {
      const at = now();
      const seconds = (at - lastRateAt) / 1000;
      if (seconds < 1) return;
      lastRateAt = at;
      for (const entry of generatedSince.values()) {
        this.set(entry.labels, entry.tokens / seconds);
        entry.tokens = 0;
      }
    },
  });

  return {
    attemptEnded(attempt) {
      const labels = { role: attempt.role, engine: attempt.engine, model: attempt.model };
      requests.inc({ ...labels, outcome: attempt.outcome });
      const { promptTokens: prompt, completionTokens: completion } = attempt.usage;
      if (prompt) promptTokens.inc(labels, prompt);
      if (completion) {
        generationTokens.inc(labels, completion);
        const key = `${attempt.role}\u0000${attempt.engine}\u0000${attempt.model}`;
        const entry = generatedSince.get(key) ?? generatedSince.set(key, { labels, tokens: 0 }).get(key)!;
        entry.tokens += completion;
      }
      if (attempt.ttftMs !== null && completion > 1) timePerOutputToken.observe(labels, (attempt.latencyMs - attempt.ttftMs) / 1000 / (completion - 1));
      if (attempt.outcome === "retried") retries.inc({ role: attempt.role, engine: attempt.engine });
    },
    taskChanged(task) {
      const role = task.role ?? "none";
      if (task.status === "queued" || task.status === "running") {
        const known = active.get(task.id);
        if (!known && task.status === "queued" && task.attempts === 0) {
          admissions.inc({ role });
          routing.inc({ role, routed_by: task.routedBy ?? "explicit" });
        }
        if (task.status === "running" && task.attempts === 1 && task.queueWaitMs !== null) queueTime.observe({ role }, task.queueWaitMs / 1000);
        active.set(task.id, { status: task.status, band: priorityBand(task.priority), role });
        return;
      }
      active.delete(task.id);
      if (!finalStatuses.has(task.status)) return;
      const labels = taskLabels(task);
      finished.inc({ role, status: task.status });
      if (task.totalMs !== null) e2eLatency.observe({ ...labels, status: task.status }, task.totalMs / 1000);
      if (task.ttftMs !== null) timeToFirstToken.observe(labels, task.ttftMs / 1000);
    },
  };
}
