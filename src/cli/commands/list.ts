import { defineCommand } from "citty";
import type { TaskJson } from "../../api/task-json";
import { useDaemon } from "../context";
import { table, taskSummaryRow } from "../output/task-view";

export default defineCommand({
  meta: { name: "list", description: "List recent tasks" },
  args: {
    status: { type: "enum", options: ["queued", "running", "succeeded", "failed", "cancelled", "timed_out"], description: "Only tasks in this state" },
    limit: { type: "string", default: "20", description: "How many tasks" },
    json: { type: "boolean", description: "Print JSON" },
  },
  async run({ args }) {
    const { api } = await useDaemon();
    const { tasks } = await api<{ tasks: TaskJson[] }>("/v1/tasks", { query: { status: args.status, limit: args.limit } });
    if (args.json) {
      process.stdout.write(`${JSON.stringify(tasks)}\n`);
      return;
    }
    if (!tasks.length) {
      process.stdout.write("No tasks yet. Run one with `tale submit \"…\"`.\n");
      return;
    }
    process.stdout.write(`${table(["ID", "STATUS", "ROLE", "CREATED", "TIME", "PROMPT"], tasks.map(taskSummaryRow))}\n`);
  },
});
