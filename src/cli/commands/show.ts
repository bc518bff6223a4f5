import { defineCommand } from "citty";
import { colors } from "consola/utils";
import type { TaskJson } from "../../api/task-json";
import { formatDuration } from "../../util/duration";
import { useDaemon } from "../context";
import { fallbackNote, statusColor } from "../output/task-view";

export default defineCommand({
  meta: { name: "show", description: "Show one task in full" },
  args: {
    id: { type: "positional", required: true, description: "Task id" },
    json: { type: "boolean", description: "Print JSON" },
  },
  async run({ args }) {
    const { api } = await useDaemon();
    const task = await api<TaskJson>(`/v1/tasks/${encodeURIComponent(String(args.id))}`);
    if (args.json) {
      process.stdout.write(`${JSON.stringify(task)}\n`);
      return;
    }
    const ms = (value: number | null) => (value === null ? "-" : formatDuration(value));
    const rows: [string, string][] = [
      ["id", task.id],
      ["status", statusColor(task.status)(task.status)],
      ["role", `${task.role ?? "-"} (asked: ${task.role_requested}${task.route_reason ? `; ${task.routed_by}: ${task.route_reason}` : ""})`],
      ["engine", `${task.engine ?? "-"} · ${task.model ?? "-"}`],
      ["priority", String(task.priority)],
      ["attempts", String(task.attempts)],
      ["tokens", `${task.usage.prompt_tokens} prompt + ${task.usage.completion_tokens} completion`],
      ["timings", `queue ${ms(task.timings.queue_wait_ms)} · first token ${ms(task.timings.ttft_ms)} · total ${ms(task.timings.total_ms)}`],
      ["created", new Date(task.created_at).toISOString()],
    ];
    if (task.fallback_from) rows.push(["fallback", fallbackNote(task)]);
    if (task.error) rows.push(["error", `${task.error.message} [${task.error.code}]${task.error.hint ? `\n           → ${task.error.hint}` : ""}`]);
    for (const [key, value] of rows) process.stdout.write(`${colors.dim(key.padEnd(10))} ${value}\n`);
    process.stdout.write(`\n${colors.dim("prompt")}\n${task.prompt}\n`);
    if (task.output !== null) process.stdout.write(`\n${colors.dim("output")}\n${task.output}\n`);
  },
});
