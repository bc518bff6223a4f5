import { defineCommand } from "citty";
import type { TaskJson } from "../../api/task-json";
import { useDaemon } from "../context";
import { statusColor } from "../output/task-view";

export default defineCommand({
  meta: { name: "cancel", description: "Cancel a queued or running task" },
  args: {
    id: { type: "positional", required: true, description: "Task id" },
    json: { type: "boolean", description: "Print JSON" },
  },
  async run({ args }) {
    const { api } = await useDaemon();
    const task = await api<TaskJson>(`/v1/tasks/${encodeURIComponent(String(args.id))}/cancel`, { method: "POST" });
    if (args.json) {
      process.stdout.write(`${JSON.stringify(task)}\n`);
      return;
    }
    const note = task.status === "cancelled" ? "" : " (it had already finished)";
    process.stdout.write(`${task.id} ${statusColor(task.status)(task.status)}${note}\n`);
  },
});
