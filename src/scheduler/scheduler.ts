import type { Role } from "../config/types";
import { TaleError, toTaleError } from "../errors";
import type { Store, Task, TaskStatus } from "../store";
import type { ChatMessage, ChatRequest, ChatUsage } from "../supervisor/chat-client";
import type { EngineLease } from "./engine-pool";
import { routeReasonOf, routeRequest } from "./route-request";
import type { AttemptEnd, CancelFilter, RouteDecision, RouteRequest, SchedulerAlert, SchedulerOptions, SubmitInput } from "./types";

export type { AttemptEnd, CancelFilter, RouteDecision, RouteRequest, SchedulerAlert, SchedulerOptions, SubmitInput } from "./types";
import { createQueueWaitGuard } from "./queue-wait";
import { retryDelay } from "./retry-delay";
import { timeoutError } from "./timeout-error";
import { TaskEventHub, type TaskListener } from "./task-events";
import { inspectAttempts, type WatchedAttempt } from "./watchdog";

interface RunningTask extends WatchedAttempt {
  abort: AbortController;
  lease: EngineLease;
  /** Set when the watchdog gave up on the attempt: its late end must change nothing. */
  detached: boolean;
}

type AbortReason = "cancelled" | "timed_out" | "shutdown" | "engine_lost";

const retryBaseDelayMs = 200;
const retryMaxDelayMs = 10_000;
/** An aborted generation stops within milliseconds; this only bounds a stuck engine. */
const cancelGraceMs = 5_000;

/**
 * Turns acknowledged tasks into engine calls: every task is written to the
 * store before it is acknowledged, dispatched by priority to a free engine
 * slot, retried when its engine breaks, and ends in exactly one final state.
 */
export class Scheduler {
  private readonly events = new TaskEventHub();
  private readonly running = new Map<string, RunningTask>();
  private readonly deadlines = new Map<string, Timer>();
  /** Tasks waiting out a retry backoff, and the engine that failed them: only a retry on that same engine waits. */
  private readonly retryAfter = new Map<string, { at: number; engine: string }>();
  /** Sampling options and engine preferences are not persisted; after a daemon restart tasks run without them. */
  private readonly hints = new Map<string, { temperature?: number; seed?: number; engine?: string }>();
  private pumping = false;
  private pumpAgain = false;
  private stopping = false;
  private readonly detachPool: () => void;
  private watchdog: Timer | undefined;
  private suspectEngines = new Set<string>();
  private readonly queueWait;
  /** Wakes the queue when the earliest task waiting on an unavailable role runs out of time. */
  private queueWaitTimer: Timer | undefined;

  constructor(private readonly options: SchedulerOptions) {
    this.detachPool = options.pool.onCapacity(() => this.pump());
    this.queueWait = createQueueWaitGuard(options.config.maxQueueWaitMs);
  }

  /** Re-queues work a previous daemon left running, re-arms deadlines, starts dispatching. */
  start(): void {
    const { store } = this.options;
    const recovered = store.recoverInterrupted();
    if (recovered.length) this.options.log?.(`re-queued ${recovered.length} interrupted task(s)`);
    for (const task of store.queuedTasks()) this.armDeadline(task);
    const interval = this.options.config.watchdogIntervalMs;
    if (interval > 0) {
      this.watchdog = setInterval(() => this.watchdogRound(), interval);
      this.watchdog.unref();
    }
    this.pump();
  }

  /**
   * Drains: takes no new work, lets running tasks finish for up to `graceMs`,
   * then aborts the rest, which go back to the queue for the next start.
   */
  async stop(graceMs = 0): Promise<void> {
    this.stopping = true;
    clearInterval(this.watchdog);
    clearTimeout(this.queueWaitTimer);
    const deadline = Date.now() + graceMs;
    while (this.running.size && Date.now() < deadline) await Bun.sleep(10);
    this.detachPool();
    for (const timer of this.deadlines.values()) clearTimeout(timer);
    this.deadlines.clear();
    for (const run of this.running.values()) this.abortRun(run, "shutdown");
    const settleBy = Date.now() + cancelGraceMs;
    while (this.running.size && Date.now() < settleBy) await Bun.sleep(10);
    // An engine that ignores the abort must not hold the daemon's exit hostage.
    for (const run of [...this.running.values()]) this.detach(run);
  }

  /** Routes, then writes the task durably; the returned task is acknowledged. */
  async submit(input: SubmitInput): Promise<Task> {
    if (this.stopping) throw new TaleError("DAEMON_UNAVAILABLE", "tale is shutting down and takes no new tasks.", { hint: "Start it again with `tale up`." });
    this.admit();
    const id = this.options.store.newTaskId();
    const decision: RouteDecision =
      input.role === "auto" ? await this.route({ ...input, id }) : { role: input.role, reason: input.routeReason ?? "", decidedBy: input.routedBy ?? "explicit" };
    const task = this.options.store.insertTask({
      id,
      kind: input.kind,
      prompt: input.prompt,
      messages: input.messages,
      roleRequested: input.role,
      role: decision.role,
      routedBy: decision.decidedBy,
      routeReason: routeReasonOf(decision),
      priority: input.priority ?? 0,
      agingMs: this.options.config.agingMs,
      // A router's budget only ever lowers the default: it saves tokens, it does not spend them.
      maxTokens: input.maxTokens ?? (decision.maxTokens !== undefined ? Math.min(decision.maxTokens, this.options.defaultMaxTokens) : undefined),
      timeoutMs: input.timeoutMs ?? (this.options.config.defaultTimeoutMs || undefined),
      client: input.client,
    });
    if (input.temperature !== undefined || input.seed !== undefined || decision.engine) {
      this.hints.set(task.id, { temperature: input.temperature, seed: input.seed, engine: decision.engine });
    }
    this.changed(task);
    this.armDeadline(task);
    this.pump();
    return this.options.store.getTask(task.id) ?? task;
  }

  /** Backpressure: a full queue refuses new work at once rather than letting it rot. */
  private admit(): void {
    const { maxQueued } = this.options.config;
    const queued = this.options.store.queuedCount();
    if (queued < maxQueued) return;
    throw new TaleError("OVERLOADED", `tale's queue is full (${queued} tasks waiting, the limit is ${maxQueued}).`, {
      hint: "Retry in a moment, cancel waiting work with `tale cancel --all --status queued`, or raise scheduler.maxQueued.",
      details: { queued, maxQueued },
    });
  }

  /** The role (and optional engine and budget) for a request, as the routing policy sees it. */
  route(request: RouteRequest): Promise<RouteDecision> {
    return routeRequest(request, this.options);
  }

  get(id: string): Task {
    const task = this.options.store.getTask(id);
    if (!task) throw new TaleError("NOT_FOUND", `No task with id "${id}".`, { hint: "List tasks with `tale list`." });
    return task;
  }

  list(filter: { status?: TaskStatus; limit?: number } = {}): Task[] {
    return this.options.store.listTasks(filter);
  }

  counts(): Record<TaskStatus, number> {
    return this.options.store.countByStatus();
  }

  /** Resolves once the task is final, so a caller told "cancelled" knows the engine has stopped. */
  async cancel(id: string): Promise<Task> {
    const task = this.get(id);
    if (isFinal(task.status)) return task;
    const run = this.running.get(id);
    if (!run) return this.finish(id, { status: "cancelled", error: new TaleError("CANCELLED", "The task was cancelled before it ran.") });
    const done = this.wait(id, cancelGraceMs);
    this.abortRun(run, "cancelled");
    return done;
  }

  /** Cancels every queued and running task matching the filter; resolves once all are final. */
  async cancelMany(filter: CancelFilter = {}): Promise<Task[]> {
    const tasks = this.options.store.activeTasks(filter);
    return Promise.all(tasks.map((task) => this.cancel(task.id)));
  }

  /** Follows one task; returns an unsubscribe function. */
  watch(id: string, listener: TaskListener): () => void {
    return this.events.subscribe(id, listener);
  }

  /** Resolves with the task once it is final, or as it stands when `timeoutMs` passes (Infinity: no limit). */
  wait(id: string, timeoutMs: number): Promise<Task> {
    const task = this.get(id);
    if (isFinal(task.status) || timeoutMs <= 0) return Promise.resolve(task);
    return new Promise((resolve) => {
      // Timers above 2^31-1 ms fire at once; a longer wait means no limit.
      const timer = timeoutMs < 2 ** 31 ? setTimeout(() => {
        unsubscribe();
        resolve(this.get(id));
      }, timeoutMs) : undefined;
      const unsubscribe = this.watch(id, (event) => {
        if (event.type !== "done") return;
        clearTimeout(timer);
        unsubscribe();
        resolve(event.task);
      });
    });
  }

  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.dispatchQueued();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private dispatchQueued(): void {
    const { store, pool, config } = this.options;
    if (this.stopping) return;
    const free = config.maxConcurrent - this.running.size;
    if (free <= 0) return;
    const blocked = new Set<Role>();
    const now = Date.now();
    this.queueWait.startPass();
    for (const task of store.queuedTasks(free + this.running.size + 64)) {
      if (this.running.size >= config.maxConcurrent) break;
      const role = task.role as Role;
      if (this.running.has(task.id)) continue;
      const retry = this.retryAfter.get(task.id);
      const backingOff = retry !== undefined && retry.at > now;
      if (task.attempts >= config.maxAttempts) {
        this.finish(task.id, {
          status: "failed",
          error: new TaleError("ENGINE_CRASHED", `The task was interrupted ${task.attempts} time(s) and was not run again.`, {
            hint: `Raise scheduler.maxAttempts (now ${config.maxAttempts}) or submit it again.`,
          }),
        });
        continue;
      }
      const availability = pool.availability(role);
      if (availability.state === "failed") {
        this.finish(task.id, { status: "failed", error: availability.error });
        continue;
      }
      if (availability.state === "starting") {
        const expired = this.queueWait.check(task, role, now, availability.cause?.message ?? `the ${role} engines have not become healthy yet.`);
        if (expired) {
          this.finish(task.id, { status: "failed", error: expired });
          continue;
        }
      } else this.queueWait.available(role);
      if (blocked.has(role)) continue;
      const lease = pool.acquire(role, { prefer: this.hints.get(task.id)?.engine, avoid: backingOff ? retry.engine : undefined });
      if (!lease) {
        // Keep priority order within a role: nothing of this role may jump ahead (a task backing off only waits for its failed engine).
        if (!backingOff) blocked.add(role);
        continue;
      }
      this.launch(task, lease);
    }
    this.armQueueWaitTimer(now);
  }

  private armQueueWaitTimer(now: number): void {
    clearTimeout(this.queueWaitTimer);
    const expiry = this.queueWait.nextExpiry();
    if (expiry === undefined) return;
    this.queueWaitTimer = setTimeout(() => this.pump(), Math.max(0, expiry - now) + 1);
    this.queueWaitTimer.unref();
  }

  private launch(task: Task, lease: EngineLease): void {
    const run: RunningTask = { taskId: task.id, engineId: lease.engineId, abort: new AbortController(), lease, detached: false };
    this.running.set(task.id, run);
    this.retryAfter.delete(task.id);
    void this.runAttempt(task, run).finally(() => {
      lease.release();
      if (this.running.get(task.id) === run) this.running.delete(task.id);
      this.pump();
    });
  }

  private abortRun(run: RunningTask, reason: AbortReason): void {
    if (run.abort.signal.aborted) return;
    run.abortedAt = Date.now();
    run.abort.abort(reason);
  }

  /**
   * Finds attempts that hold a slot but will not give it back (an engine that
   * ignores aborts, or one that died mid-answer), frees the slot, settles the
   * task as its abort meant, and raises an alert.
   */
  private watchdogRound(): void {
    const { store, pool, config } = this.options;
    const { findings, suspects } = inspectAttempts(this.running.values(), {
      now: Date.now(),
      graceMs: config.watchdogIntervalMs,
      healthy: pool.engineIds(),
      suspects: this.suspectEngines,
    });
    this.suspectEngines = suspects;
    for (const { kind, attempt: run } of findings) {
      if (kind === "engine_gone") {
        this.alert("warning", `task ${run.taskId} was running on engine ${run.engineId}, which is no longer healthy; it was stopped and will run again.`);
        this.abortRun(run, "engine_lost");
        continue;
      }
      this.detach(run);
      this.alert("critical", `task ${run.taskId} still held a slot on engine ${run.engineId} after it was told to stop (${String(run.abort.signal.reason)}); the slot was freed.`);
    }
    // A row left running with no attempt behind it would never finish: put it back in the queue.
    for (const task of store.activeTasks({ status: "running" })) {
      if (this.running.has(task.id)) continue;
      this.changed(store.requeueTask(task.id));
      this.alert("warning", `task ${task.id} was marked running with no attempt behind it; it was queued again.`);
    }
    if (findings.length) this.pump();
  }

  /** Gives up on an aborted attempt that will not end: frees its slot and settles the task without it. */
  private detach(run: RunningTask): void {
    run.detached = true;
    this.running.delete(run.taskId);
    run.lease.release();
    if (this.options.store.getTask(run.taskId)?.status === "running") this.settleAborted(run.taskId, run.abort.signal.reason as AbortReason);
  }

  private alert(severity: SchedulerAlert["severity"], message: string): void {
    this.options.log?.(`watchdog: ${message}`, {}, "warn");
    this.options.onAlert?.({ severity, source: "watchdog", message });
  }

  /** Settles a task whose attempt was aborted, as the abort's reason asks; `usage` is what the attempt had generated. */
  private settleAborted(id: string, reason: AbortReason, usage?: ChatUsage): AttemptEnd["outcome"] {
    if (reason === "cancelled") {
      this.finish(id, { status: "cancelled", usage, error: new TaleError("CANCELLED", "The task was cancelled while it ran.") });
      return "cancelled";
    }
    if (reason === "timed_out") {
      this.finish(id, { status: "timed_out", usage, error: this.timeoutError(id) });
      return "timed_out";
    }
    // Shutdown: the next daemon start picks it up again. Lost engine: it runs again on a healthy one. The attempt stays counted.
    this.changed(this.options.store.requeueTask(id));
    return reason === "shutdown" ? "interrupted" : "retried";
  }

  private async runAttempt(queued: Task, run: RunningTask): Promise<void> {
    const { lease, abort } = run;
    const { store } = this.options;
    const attempt = queued.attempts + 1;
    const startedAt = Date.now();
    let firstTokenAt: number | undefined;
    const fallbackFrom = lease.fallbackFrom ?? null;
    this.changed(
      store.markRunning(queued.id, { role: queued.role as Role, engine: lease.engineId, model: lease.model, attempt, fallbackFrom, degraded: lease.degraded }),
    );
    // Never silent: the task records it, the log says it, and the user sees it with the answer.
    if (fallbackFrom) {
      const message = `task ${queued.id}: no ${fallbackFrom} engine can run, served by ${lease.engineId}${lease.degraded ? " (degraded)" : ""}`;
      this.options.log?.(message, { task: queued.id, engine: lease.engineId }, "warn");
    }
    // Measured when the engine answers, before the task is written as finished, so it never exceeds the task's own latency.
    let endedAt = startedAt;
    // What the engine had generated when the attempt ended early: it was paid for, so it is booked.
    let partialUsage: ChatUsage = { promptTokens: 0, completionTokens: 0 };
    const ended = (outcome: AttemptEnd["outcome"], task: Task, error: TaleError | null, usage = { promptTokens: 0, completionTokens: 0 }) =>
      this.options.onAttemptEnd?.({
        task,
        attempt,
        // The ledger prices the model that answered, which is the fallback's when one served.
        role: lease.role ?? (queued.role as Role),
        engine: lease.engineId,
        model: lease.model,
        outcome,
        errorCode: error?.code ?? null,
        usage,
        latencyMs: endedAt - startedAt,
        ttftMs: firstTokenAt === undefined ? null : firstTokenAt - startedAt,
      });
    try {
      const result = await lease.chat(this.requestFor(queued), {
        signal: abort.signal,
        onDelta: (text) => {
          if (firstTokenAt === undefined) {
            firstTokenAt = Date.now();
            store.markFirstToken(queued.id, firstTokenAt);
          }
          this.events.emit(queued.id, { type: "delta", text });
        },
        onUsage: (usage) => (partialUsage = usage),
      });
      endedAt = Date.now();
      // Free the slot before the task is written final, so whoever hears "done" finds the engine free.
      lease.release();
      if (run.detached) return;
      const task = this.finish(queued.id, { status: "succeeded", output: result.content, usage: result.usage, finishReason: result.finishReason });
      ended("succeeded", task, null, result.usage);
    } catch (thrown) {
      endedAt = Date.now();
      lease.release();
      if (run.detached) return;
      const error = toTaleError(thrown);
      const outcome = this.afterFailure(queued.id, attempt, lease, abort, error, partialUsage);
      ended(outcome, store.getTask(queued.id)!, error, partialUsage);
    }
  }

  /** Settles a failed attempt: final state, retry, or back to the queue; returns what became of it. */
  private afterFailure(id: string, attempt: number, lease: EngineLease, abort: AbortController, thrown: TaleError, usage: ChatUsage): AttemptEnd["outcome"] {
    const lost = abort.signal.aborted && abort.signal.reason === "engine_lost";
    if (abort.signal.aborted && !lost) return this.settleAborted(id, abort.signal.reason as AbortReason, usage);
    const error = lost ? new TaleError("ENGINE_CRASHED", `Engine ${lease.engineId} stopped being healthy while the task ran.`) : thrown;
    // A lost engine is already known to the supervisor; reporting it again would count one crash twice.
    if (!lost && (error.code === "ENGINE_CRASHED" || error.code === "ENGINE_UNHEALTHY")) lease.reportFailure(error);
    if (error.retryable && attempt < this.options.config.maxAttempts) {
      const delay = retryDelay(attempt, error, { baseMs: retryBaseDelayMs, maxMs: retryMaxDelayMs });
      this.changed(this.options.store.requeueTask(id));
      this.retryAfter.set(id, { at: Date.now() + delay, engine: lease.engineId });
      setTimeout(() => this.pump(), delay).unref();
      this.events.emit(id, { type: "retry", attempt, error: error.toJSON() });
      this.options.log?.(`task ${id} attempt ${attempt} failed with ${error.code}; retrying`, { task: id, engine: lease.engineId });
      return "retried";
    }
    this.finish(id, { status: "failed", error, usage });
    return "failed";
  }

  private requestFor(task: Task): ChatRequest {
    const messages: ChatMessage[] = task.messages ?? [{ role: "user", content: task.prompt }];
    return {
      messages,
      maxTokens: task.maxTokens ?? this.options.defaultMaxTokens,
      temperature: this.hints.get(task.id)?.temperature,
      seed: this.hints.get(task.id)?.seed,
    };
  }

  private armDeadline(task: Task): void {
    if (!task.timeoutMs) return;
    const remaining = task.createdAt + task.timeoutMs - Date.now();
    const timer = setTimeout(() => this.onDeadline(task.id), Math.max(0, remaining));
    timer.unref();
    this.deadlines.set(task.id, timer);
  }

  private onDeadline(id: string): void {
    this.deadlines.delete(id);
    const run = this.running.get(id);
    if (run) {
      this.abortRun(run, "timed_out");
      return;
    }
    const task = this.options.store.getTask(id);
    if (task && !isFinal(task.status)) this.finish(id, { status: "timed_out", error: this.timeoutError(id) });
  }

  private timeoutError(id: string): TaleError {
    const task = this.options.store.getTask(id);
    return timeoutError(task, task?.role ? this.options.pool.availability(task.role as Role) : undefined);
  }

  private finish(id: string, outcome: Parameters<Store["finishTask"]>[1] & { error?: TaleError }): Task {
    clearTimeout(this.deadlines.get(id));
    this.deadlines.delete(id);
    this.retryAfter.delete(id);
    this.hints.delete(id);
    const task = this.options.store.finishTask(id, outcome);
    this.events.emit(id, { type: "done", task });
    this.changed(task);
    return task;
  }

  private changed(task: Task | undefined): void {
    if (task) this.options.onTaskChange?.(task);
  }
}

export function isFinal(status: TaskStatus): boolean {
  return status !== "queued" && status !== "running";
}
