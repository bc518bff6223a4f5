import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";
import { isFinal, type AttemptEnd } from "../scheduler";
import type { RouteTiming } from "../scheduler/route-timing";
import type { Task } from "../store";

/*
 * One trace per task, built from the timestamps the scheduler already keeps:
 *
 *   tale.task ─┬─ tale.route          (when a router chose the role)
 *              ├─ tale.queue_wait     (each time the task waited for a slot)
 *              └─ chat <model>        (each engine attempt; a retried task has several)
 *
 * Spans are started and ended with explicit times, so nothing here sits on
 * the request path beyond recording.
 */

interface OpenAttempt {
  number: number;
  startedAt: number;
}

interface TaskTrace {
  span: Span;
  /** Set while the task waits in the queue. */
  queuedSince: number | undefined;
  attempt: OpenAttempt | undefined;
}

/** A routed submission that was then refused is never seen again: keep only the latest few. */
const maxPendingRoutes = 1024;

export interface TaskTraces {
  routed(timing: RouteTiming): void;
  attemptEnded(attempt: AttemptEnd): void;
  taskChanged(task: Task): void;
}

/**
 * `sampleRatio` of tasks get a trace. The choice is made here, once per task,
 * rather than by an SDK sampler: an unsampled task then costs one lookup per
 * event instead of a non-recording span for every step.
 */
export function createTaskTraces(tracer: Tracer, sampleRatio: number): TaskTraces {
  const tasks = new Map<string, TaskTrace>();
  const routes = new Map<string, RouteTiming>();
  const unsampled = new Set<string>();

  const child = (parent: Span, name: string, startTime: number, attributes: Attributes, kind = SpanKind.INTERNAL) =>
    tracer.startSpan(name, { startTime, attributes, kind }, trace.setSpan(ROOT_CONTEXT, parent));

  const begin = (task: Task): TaskTrace | undefined => {
    const route = routes.get(task.id);
    routes.delete(task.id);
    if (Math.random() >= sampleRatio) {
      unsampled.add(task.id);
      return undefined;
    }
    const span = tracer.startSpan("tale.task", {
      startTime: Math.min(route?.startedAt ?? task.createdAt, task.createdAt),
      kind: SpanKind.SERVER,
      attributes: { "tale.task.id": task.id, "tale.task.kind": task.kind, "gen_ai.operation.name": "chat", "gen_ai.request.model": task.roleRequested, "tale.priority": task.priority },
    });
    if (route) {
      child(span, "tale.route", route.startedAt, { "tale.route.role": route.decision.role, "tale.route.decided_by": route.decision.decidedBy }).end(route.endedAt);
    }
    const state: TaskTrace = { span, queuedSince: task.createdAt, attempt: undefined };
    tasks.set(task.id, state);
    return state;
  };

  const endQueueWait = (state: TaskTrace, at: number) => {
    if (state.queuedSince === undefined) return;
    child(state.span, "tale.queue_wait", state.queuedSince, {}).end(Math.max(at, state.queuedSince));
    state.queuedSince = undefined;
  };

  /** An attempt the scheduler gave up on without an ending (the watchdog detached it): closed with what is known. */
  const endUnreported = (state: TaskTrace, at: number) => {
    const open = state.attempt;
    if (!open) return;
    const span = child(state.span, "chat", open.startedAt, { "tale.attempt": open.number }, SpanKind.CLIENT);
    span.setStatus({ code: SpanStatusCode.ERROR, message: "the attempt ended without a report" });
    span.end(Math.max(at, open.startedAt));
    state.attempt = undefined;
  };

  const finish = (id: string, task: Task) => {
    const state = tasks.get(id);
    if (!state) return;
    tasks.delete(id);
    const at = task.finishedAt ?? Date.now();
    endUnreported(state, at);
    const { span } = state;
    span.setAttributes({
      "tale.task.status": task.status,
      "tale.task.attempts": task.attempts,
      "gen_ai.usage.input_tokens": task.promptTokens,
      "gen_ai.usage.output_tokens": task.completionTokens,
    });
    if (task.role) span.setAttribute("tale.role", task.role);
    if (task.model) span.setAttribute("gen_ai.response.model", task.model);
    if (task.degraded) span.setAttribute("tale.degraded", true);
    if (task.status === "succeeded") span.setStatus({ code: SpanStatusCode.OK });
    else {
      span.setAttribute("error.type", task.errorCode ?? task.status);
      span.setStatus({ code: SpanStatusCode.ERROR, message: task.errorMessage ?? task.status });
    }
    span.end(at);
  };

  return {
    routed(timing) {
      routes.set(timing.taskId, timing);
      if (routes.size > maxPendingRoutes) routes.delete(routes.keys().next().value!);
    },
    taskChanged(task) {
      if (unsampled.has(task.id)) {
        if (isFinal(task.status)) unsampled.delete(task.id);
        return;
      }
      const state = tasks.get(task.id) ?? begin(task);
      if (!state) return;
      if (task.status === "running") {
        const startedAt = task.startedAt ?? Date.now();
        endQueueWait(state, startedAt);
        endUnreported(state, startedAt);
        state.attempt = { number: task.attempts, startedAt };
        return;
      }
      if (task.status === "queued") {
        // Back in the queue after an attempt (a retry, or a daemon shutdown): a new wait begins.
        state.queuedSince ??= Date.now();
        return;
      }
      endQueueWait(state, task.finishedAt ?? Date.now());
      // The scheduler reports the last attempt's ending right after the final status, in the same turn.
      queueMicrotask(() => finish(task.id, task));
    },
    attemptEnded(attempt) {
      const state = tasks.get(attempt.task.id);
      const open = state?.attempt;
      if (!state || !open || open.number !== attempt.attempt) return;
      state.attempt = undefined;
      const span = child(
        state.span,
        `chat ${attempt.model}`,
        open.startedAt,
        {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "tale",
          "gen_ai.request.model": attempt.model,
          "gen_ai.response.model": attempt.model,
          "gen_ai.usage.input_tokens": attempt.usage.promptTokens,
          "gen_ai.usage.output_tokens": attempt.usage.completionTokens,
          "tale.role": attempt.role,
          "tale.engine": attempt.engine,
          "tale.attempt": attempt.attempt,
          "tale.attempt.outcome": attempt.outcome,
        },
        SpanKind.CLIENT,
      );
      if (attempt.ttftMs !== null) span.addEvent("first token", open.startedAt + attempt.ttftMs);
      if (attempt.outcome === "succeeded") span.setStatus({ code: SpanStatusCode.OK });
      else {
        span.setAttribute("error.type", attempt.errorCode ?? attempt.outcome);
        span.setStatus({ code: SpanStatusCode.ERROR, message: attempt.errorCode ?? attempt.outcome });
      }
      span.end(open.startedAt + attempt.latencyMs);
    },
  };
}
