import type { Task } from "../store";

/** The public JSON shape of a task, shared by the API and `tale … --json`. */
export interface TaskJson {
  id: string;
  status: Task["status"];
  kind: Task["kind"];
  prompt: string;
  role: string | null;
  role_requested: string;
  /** Who chose the role: "explicit", "fallback" or "plugin:<name>". */
  routed_by: string | null;
  /** Why the router chose the role; null when the caller chose it. */
  route_reason: string | null;
  /** The role asked for, when a fallback role's engine answered instead. */
  fallback_from: string | null;
  /** The answer came from a lesser model than asked for (task served by ux). */
  degraded: boolean;
  engine: string | null;
  model: string | null;
  priority: number;
  output: string | null;
  error: { code: string; message: string; hint?: string } | null;
  finish_reason: string | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  attempts: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  latency_ms: number | null;
  timings: { queue_wait_ms: number | null; ttft_ms: number | null; total_ms: number | null };
}

export function taskToJson(task: Task): TaskJson {
  return {
    id: task.id,
    status: task.status,
    kind: task.kind,
    prompt: task.prompt,
    role: task.role,
    role_requested: task.roleRequested,
    routed_by: task.routedBy,
    route_reason: task.routeReason,
    fallback_from: task.fallbackFrom,
    degraded: task.degraded,
    engine: task.engine,
    model: task.model,
    priority: task.priority,
    output: task.output,
    error: task.errorCode
      ? { code: task.errorCode, message: task.errorMessage ?? "", ...(task.errorHint ? { hint: task.errorHint } : {}) }
      : null,
    finish_reason: task.finishReason,
    usage: {
      prompt_tokens: task.promptTokens,
      completion_tokens: task.completionTokens,
      total_tokens: task.promptTokens + task.completionTokens,
    },
    attempts: task.attempts,
    created_at: task.createdAt,
    started_at: task.startedAt,
    finished_at: task.finishedAt,
    latency_ms: task.totalMs,
    timings: { queue_wait_ms: task.queueWaitMs, ttft_ms: task.ttftMs, total_ms: task.totalMs },
  };
}
