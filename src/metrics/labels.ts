import type { Task } from "../store";

/** Priority numbers are free-form; the series are the named bands (`tale submit --priority`), so their count stays fixed. */
export function priorityBand(priority: number): "low" | "normal" | "high" | "critical" {
  if (priority < 0) return "low";
  if (priority < 10) return "normal";
  if (priority < 100) return "high";
  return "critical";
}

/** Labels of a task's latest attempt; "none" before it ran anywhere. Never the task id, prompt or session. */
export function taskLabels(task: Task): { role: string; engine: string; model: string } {
  return { role: task.role ?? "none", engine: task.engine ?? "none", model: task.model ?? "none" };
}
