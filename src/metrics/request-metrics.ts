import { Gauge, type Registry } from "prom-client";
import type { AttemptEnd } from "../scheduler";
import type { Task } from "../store";
import { requestLatencyBuckets, timePerOutputTokenBuckets, timeToFirstTokenBuckets } from "./buckets";
import { CounterFamily, HistogramFamily } from "./fast-series";
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
  const counter = (name: string, help: string) => new CounterFamily(registry, name, help);
  const histogram = (name: string, help: string, buckets: readonly number[]) => new HistogramFamily(registry, name, help, buckets);
  const requests = counter("tale_requests_total", "Engine attempts by how they ended: succeeded, failed, cancelled, timed_out, retried or interrupted (daemon shutdown).");
  const promptTokens = counter("tale_prompt_tokens_total", "Prompt tokens processed (vllm:prompt_tokens_total).");
  const generationTokens = counter("tale_generation_tokens_total", "Completion tokens generated, those of cut-short attempts too (vllm:generation_tokens_total).");
  const timePerOutputToken = histogram(
    "tale_time_per_output_token_seconds",
    "Per attempt: time after the first token divided by the tokens after it (vllm:time_per_output_token_seconds).",
    timePerOutputTokenBuckets,
  );
  const timeToFirstToken = histogram(
    "tale_time_to_first_token_seconds",
    "Submission to the first token, queue wait and retries included (vllm:time_to_first_token_seconds).",
    timeToFirstTokenBuckets,
  );
  const e2eLatency = histogram("tale_e2e_request_latency_seconds", "Submission to the final state, for every final state (vllm:e2e_request_latency_seconds).", requestLatencyBuckets);
  const queueTime = histogram("tale_request_queue_time_seconds", "Submission to the first attempt's start (vllm:request_queue_time_seconds).", requestLatencyBuckets);
  const admissions = counter("tale_scheduler_admissions_total", "Tasks accepted into the queue, by the role they were routed to.");
  const routing = counter("tale_routing_decisions_total", "Roles given to new tasks, by who decided: explicit (the caller), fallback (built-in policy) or plugin:<name>.");
  const finished = counter("tale_tasks_finished_total", "Tasks that reached a final state: succeeded, failed, cancelled or timed_out.");
  const retries = counter("tale_scheduler_retries_total", "Attempts that failed and were queued again.");

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
      const key = `${attempt.role}\u0000${attempt.engine}\u0000${attempt.model}`;
      const labels = { role: attempt.role, engine: attempt.engine, model: attempt.model };
      requests.add(`${key}\u0000${attempt.outcome}`, { ...labels, outcome: attempt.outcome });
      const { promptTokens: prompt, completionTokens: completion } = attempt.usage;
      if (prompt) promptTokens.add(key, labels, prompt);
      if (completion) {
        generationTokens.add(key, labels, completion);
        const entry = generatedSince.get(key) ?? generatedSince.set(key, { labels, tokens: 0 }).get(key)!;
        entry.tokens += completion;
      }
      if (attempt.ttftMs !== null && completion > 1) timePerOutputToken.observe(key, labels, (attempt.latencyMs - attempt.ttftMs) / 1000 / (completion - 1));
      if (attempt.outcome === "retried") retries.add(`${attempt.role}\u0000${attempt.engine}`, { role: attempt.role, engine: attempt.engine });
    },
    taskChanged(task) {
      const role = task.role ?? "none";
      if (task.status === "queued" || task.status === "running") {
        const known = active.get(task.id);
        if (!known && task.status === "queued" && task.attempts === 0) {
          admissions.add(role, { role });
          const routedBy = task.routedBy ?? "explicit";
          routing.add(`${role}\u0000${routedBy}`, { role, routed_by: routedBy });
        }
        if (task.status === "running" && task.attempts === 1 && task.queueWaitMs !== null) queueTime.observe(role, { role }, task.queueWaitMs / 1000);
        active.set(task.id, { status: task.status, band: priorityBand(task.priority), role });
        return;
      }
      active.delete(task.id);
      if (!finalStatuses.has(task.status)) return;
      const labels = taskLabels(task);
      const key = `${labels.role}\u0000${labels.engine}\u0000${labels.model}`;
      finished.add(`${role}\u0000${task.status}`, { role, status: task.status });
      if (task.totalMs !== null) e2eLatency.observe(`${key}\u0000${task.status}`, { ...labels, status: task.status }, task.totalMs / 1000);
      if (task.ttftMs !== null) timeToFirstToken.observe(key, labels, task.ttftMs / 1000);
    },
  };
}
