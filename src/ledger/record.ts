import type { AttemptEnd } from "../scheduler/scheduler.ts";
import type { NewModelCall } from "../store/index.ts";

/**
 * The ledger row for one ended attempt, so the scheduler's hook is one line:
 * `onAttemptEnd: (attempt) => store.recordModelCall(modelCallOf(attempt))`.
 */
export function modelCallOf(attempt: AttemptEnd): NewModelCall {
  return {
    taskId: attempt.task.id,
    attempt: attempt.attempt,
    role: attempt.role,
    engine: attempt.engine,
    model: attempt.model,
    promptTokens: attempt.usage.promptTokens,
    completionTokens: attempt.usage.completionTokens,
    latencyMs: attempt.latencyMs,
    ttftMs: attempt.ttftMs,
    outcome: attempt.outcome,
    errorCode: attempt.errorCode,
    routedBy: attempt.task.routedBy,
  };
}
