import { defineCommand } from "citty";
import { colors } from "consola/utils";
import { fromSerialized, type SerializedError, TaleError } from "../../errors";
import type { TaleEvent } from "../../telemetry/event-bus";
import { readServerSentEvents } from "../../util/sse";
import { useDaemon } from "../context";
import { statusColor } from "../output/task-view";

export default defineCommand({
  meta: { name: "watch", description: "Show task and engine state changes and alerts as they happen" },
  args: {
    types: { type: "string", default: "task,engine,alert", description: "Which events: task, engine, alert" },
    json: { type: "boolean", description: "One JSON event per line" },
  },
  async run({ args }) {
    const { connection } = await useDaemon();
    const response = await fetch(`${connection.baseUrl}/v1/events?types=${encodeURIComponent(args.types)}`, {
      headers: { authorization: `Bearer ${connection.token}` },
    });
    if (!response.ok || !response.body) {
      const body = (await response.json().catch(() => ({}))) as { error?: SerializedError };
      throw body.error ? fromSerialized(body.error) : new TaleError("DAEMON_UNAVAILABLE", `The daemon answered HTTP ${response.status}.`);
    }
    if (!args.json) process.stderr.write(colors.dim("watching tale; Ctrl-C to stop\n"));
    for await (const { event, data } of readServerSentEvents(response.body)) {
      if (event === "ready") continue;
      const parsed = JSON.parse(data) as TaleEvent;
      process.stdout.write(args.json ? `${data}\n` : `${describe(parsed)}\n`);
    }
    throw new TaleError("DAEMON_UNAVAILABLE", "The daemon closed the event stream.", { hint: "It may have stopped; check `tale status`." });
  },
});

function describe(event: TaleEvent): string {
  const time = colors.dim(new Date(event.at).toLocaleTimeString());
  if (event.type === "task") {
    const { task } = event;
    const where = task.engine ? ` on ${task.engine}` : task.role ? ` (${task.role})` : "";
    const error = task.error ? colors.dim(` ${task.error.code}: ${task.error.message}`) : "";
    return `${time} task   ${task.id} ${statusColor(task.status)(task.status)}${where}${task.attempts > 1 ? ` attempt ${task.attempts}` : ""}${error}`;
  }
  if (event.type === "engine") {
    const { engine } = event;
    const color = engine.state === "healthy" ? colors.green : engine.state === "failed" || engine.state === "crashed" ? colors.red : colors.yellow;
    return `${time} engine ${engine.id} ${event.previous} → ${color(engine.state)}${engine.pid ? colors.dim(` pid ${engine.pid}`) : ""}`;
  }
  const color = event.severity === "critical" ? colors.red : event.severity === "warning" ? colors.yellow : colors.cyan;
  return `${time} ${color(`alert  ${event.severity}`)} ${colors.dim(`[${event.source}]`)} ${event.message}`;
}
