import { colors } from "consola/utils";
import type { TaskJson } from "../../api/task-json";
import { formatDuration } from "../../util/duration";

/** One dim line of facts under an answer: role, model, tokens, time. */
export function taskFooter(task: TaskJson): string {
  const parts = [
    task.role ?? "?",
    task.model ?? "?",
    `${task.usage.prompt_tokens}→${task.usage.completion_tokens} tokens`,
    task.latency_ms !== null ? formatDuration(task.latency_ms) : undefined,
    task.attempts > 1 ? `${task.attempts} attempts` : undefined,
  ].filter(Boolean);
  const line = colors.dim(parts.join(" · "));
  return task.fallback_from ? `${line}\n${colors.yellow(fallbackNote(task))}` : line;
}

/** Said whenever a fallback role answered: a degraded answer must never pass for the real thing. */
export function fallbackNote(task: TaskJson): string {
  return `${task.degraded ? "degraded: " : ""}answered by ${task.engine ?? "another engine"} because no ${task.fallback_from} engine could run (supervisor.fallback)`;
}

export function statusColor(status: TaskJson["status"]): (text: string) => string {
  if (status === "succeeded") return colors.green;
  if (status === "failed" || status === "timed_out") return colors.red;
  if (status === "cancelled") return colors.yellow;
  return colors.cyan;
}

export function taskSummaryRow(task: TaskJson): string[] {
  const prompt = task.prompt.replace(/\s+/g, " ");
  return [
    task.id,
    statusColor(task.status)(task.status),
    task.role ?? "-",
    new Date(task.created_at).toLocaleTimeString(),
    task.latency_ms !== null ? formatDuration(task.latency_ms) : "-",
    prompt.length > 48 ? `${prompt.slice(0, 47)}…` : prompt,
  ];
}

/** Aligns rows into columns, measuring without colour codes. */
export function table(header: string[], rows: string[][]): string {
  const visible = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "").length;
  const widths = header.map((title, column) => Math.max(visible(title), ...rows.map((row) => visible(row[column] ?? ""))));
  const line = (cells: string[]) => cells.map((cell, column) => cell + " ".repeat(widths[column]! - visible(cell))).join("  ").trimEnd();
  return [colors.dim(line(header)), ...rows.map(line)].join("\n");
}
