import { defineCommand } from "citty";
import { colors } from "consola/utils";
import type { TaskJson } from "../../api/task-json";
import { isTaleError, TaleError } from "../../errors";
import { parseDuration } from "../../util/duration";
import { useDaemon } from "../context";
import { startSpinner } from "../output/spinner";
import { taskFooter } from "../output/task-view";
import { parsePriority } from "../priority";

/** Long-poll slice: short enough to notice Ctrl-C, long enough to cost nothing. */
const pollMs = 25_000;
/** Daemon restarts a waiting submit rides out before giving up. */
const maxReconnects = 3;

export default defineCommand({
  meta: { name: "submit", description: "Run a prompt as a task and print the answer" },
  args: {
    prompt: { type: "positional", description: "What to ask", required: true },
    role: { type: "enum", options: ["auto", "ux", "task"], default: "auto", description: "Model role; auto lets tale route" },
    priority: { type: "string", description: "low, normal, high, critical or a number" },
    timeout: { type: "string", description: 'Deadline for the task, e.g. "30s"' },
    "max-tokens": { type: "string", description: "Most tokens to generate" },
    wait: { type: "boolean", default: true, negativeDescription: "Print the task id and return at once" },
    json: { type: "boolean", description: "Print the task as JSON" },
  },
  async run({ args }) {
    const prompt = String(args.prompt ?? "");
    if (!prompt.trim()) {
      throw new TaleError("BAD_REQUEST", "The prompt is empty.", { hint: 'Pass the text to run, e.g. `tale submit "summarise this"`.' });
    }
    const body = {
      prompt,
      role: args.role,
      ...(args.priority ? { priority: parsePriority(args.priority) } : {}),
      ...(args.timeout ? { timeout_ms: parseDuration(args.timeout, "timeout") } : {}),
      ...(args["max-tokens"] ? { max_tokens: parseMaxTokens(args["max-tokens"]) } : {}),
    };
    let { api } = await useDaemon();
    const submitted = await api<TaskJson>("/v1/tasks", { method: "POST", body });
    if (!args.wait) {
      process.stdout.write(args.json ? `${JSON.stringify(submitted)}\n` : `${submitted.id}\n`);
      return;
    }

    const spinner = args.json ? undefined : startSpinner(`${submitted.role ?? "…"} is thinking`);
    const cancelOnInterrupt = () => void api(`/v1/tasks/${submitted.id}/cancel`, { method: "POST" }).catch(() => {});
    process.once("SIGINT", cancelOnInterrupt);
    let task = submitted;
    let reconnects = 0;
    try {
      while (task.status === "queued" || task.status === "running") {
        try {
          task = await api<TaskJson>(`/v1/tasks/${submitted.id}`, { query: { wait: pollMs } });
        } catch (error) {
          // The task is durable: if the daemon went away, start it again and keep waiting.
          if (!isTaleError(error) || error.code !== "DAEMON_UNAVAILABLE" || ++reconnects > maxReconnects) throw error;
          spinner?.update("tale restarted; waiting for the task");
          ({ api } = await useDaemon());
        }
      }
    } finally {
      spinner?.stop();
      process.off("SIGINT", cancelOnInterrupt);
    }
    printResult(task, Boolean(args.json));
  },
});

function parseMaxTokens(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new TaleError("BAD_REQUEST", `Invalid --max-tokens "${text}".`, { hint: "Use a whole number of at least 1." });
  }
  return value;
}

function printResult(task: TaskJson, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(task)}\n`);
  } else if (task.status === "succeeded") {
    process.stdout.write(`${task.output ?? ""}\n`);
    process.stderr.write(`${taskFooter(task)}\n`);
  }
  if (task.status === "succeeded") return;
  const error = task.error ?? { code: "INTERNAL", message: `The task ended as ${task.status}.` };
  if (!json) {
    process.stderr.write(`${colors.red("✖")} Task ${task.id} ${task.status}: ${error.message} ${colors.dim(`[${error.code}]`)}\n`);
    if (error.hint) process.stderr.write(`  ${colors.yellow("→")} ${error.hint}\n`);
  }
  process.exitCode = task.status === "timed_out" ? 124 : task.status === "cancelled" ? 130 : 1;
}
