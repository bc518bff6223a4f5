import type { AttemptEnd } from "../scheduler";
import type { Task } from "../store";
import type { LogLine } from "./record";

/**
 * The log lines that tell one task's story, each carrying the task id as a
 * field so `tale logs --task` finds them exactly: queued and routed, each
 * attempt and how it ended, the final state. Prompts and outputs are never
 * logged; they are the user's data and may hold secrets.
 */
export function taskChangeLines(task: Task): LogLine[] {
  const at = { task: task.id, ...(task.engine ? { engine: task.engine } : {}) };
  switch (task.status) {
    case "queued":
      if (task.attempts > 0) return [{ message: `task ${task.id} queued again after attempt ${task.attempts}`, ...at }];
      return [
        { message: `task ${task.id} queued (asked for ${task.roleRequested}, priority ${task.priority}${task.client ? `, from ${task.client}` : ""})`, task: task.id },
        { message: `task ${task.id} routed to ${task.role} by ${task.routedBy ?? "explicit"}${task.routeReason ? `: ${task.routeReason}` : ""}`, task: task.id },
      ];
    case "running":
      return [{ message: `task ${task.id} attempt ${task.attempts} running on ${task.engine} (${task.role}, ${task.model})${task.degraded ? ", degraded" : ""}`, ...at }];
    default: {
      const error = task.errorCode ? `: ${task.errorCode} ${task.errorMessage ?? ""}`.trimEnd() : "";
      const took = task.totalMs === null ? "" : ` in ${task.totalMs} ms`;
      return [{ message: `task ${task.id} ${task.status} after ${task.attempts} attempt(s)${took}${error}`, ...at }];
    }
  }
}

/** A task that failed or ran out of time is a warning; so is an attempt that did not succeed. */
export function taskLevel(task: Task): "info" | "warn" {
  return task.status === "failed" || task.status === "timed_out" ? "warn" : "info";
}

export function attemptLevel(end: AttemptEnd): "info" | "warn" {
  return end.outcome === "failed" || end.outcome === "retried" || end.outcome === "timed_out" ? "warn" : "info";
}

export function attemptEndLine(end: AttemptEnd): LogLine {
  const code = end.errorCode ? ` with ${end.errorCode}` : "";
  const tokens = `${end.usage.promptTokens}+${end.usage.completionTokens} tokens`;
  return { message: `task ${end.task.id} attempt ${end.attempt} on ${end.engine} ${end.outcome}${code} after ${end.latencyMs} ms (${tokens})`, task: end.task.id, engine: end.engine };
}
