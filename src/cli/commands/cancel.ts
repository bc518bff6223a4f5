import { defineCommand } from "citty";
import type { TaskJson } from "../../api/task-json";
import { TaleError } from "../../errors";
import { useDaemon } from "../context";
import { statusColor } from "../output/task-view";

const usage = "Use `tale cancel <id>`, or `tale cancel --all [--status queued|running] [--role ux|task]`.";

export default defineCommand({
  meta: { name: "cancel", description: "Cancel a queued or running task, or many with --all" },
  args: {
    id: { type: "positional", required: false, description: "Task id" },
    all: { type: "boolean", description: "Cancel every queued and running task (narrow it with --status and --role)" },
    status: { type: "string", description: "With --all: only queued or only running tasks" },
    role: { type: "string", description: "With --all: only tasks of the ux or task role" },
    json: { type: "boolean", description: "Print JSON" },
  },
  async run({ args }) {
    if (args.all === Boolean(args.id)) throw new TaleError("BAD_REQUEST", "Give either a task id or --all.", { hint: usage });
    if (!args.all && (args.status || args.role)) throw new TaleError("BAD_REQUEST", "--status and --role only go with --all.", { hint: usage });
    const { api } = await useDaemon();
    if (args.all) {
      const filter = { ...(args.status ? { status: args.status } : {}), ...(args.role ? { role: args.role } : {}) };
      const result = await api<{ cancelled: number; tasks: TaskJson[] }>("/v1/tasks/cancel", { method: "POST", body: filter });
      if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stdout.write(`cancelled ${result.cancelled} task(s)\n`);
      return;
    }
    const task = await api<TaskJson>(`/v1/tasks/${encodeURIComponent(String(args.id))}/cancel`, { method: "POST" });
    if (args.json) {
      process.stdout.write(`${JSON.stringify(task)}\n`);
      return;
    }
    const note = task.status === "cancelled" ? "" : " (it had already finished)";
    process.stdout.write(`${task.id} ${statusColor(task.status)(task.status)}${note}\n`);
  },
});
