import { createInterface } from "node:readline";
import { defineCommand } from "citty";
import { colors } from "consola/utils";
import type { TaskJson } from "../../api/task-json";
import { formatDuration } from "../../util/duration";
import { ChatClient } from "../chat/chat-client";
import { ChatScreen } from "../chat/screen";
import { useDaemon } from "../context";
import { taskFooter } from "../output/task-view";

/** News about a running background task at most this often. */
const progressEveryMs = 3_000;

export default defineCommand({
  meta: { name: "chat", description: "Talk to the ux model; real work is handed to the task model in the background" },
  args: {
    session: { type: "string", default: "default", description: "Session to start or resume" },
  },
  async run({ args }) {
    const { connection } = await useDaemon();
    const client = new ChatClient(connection);
    const interactive = Boolean(process.stdin.isTTY);
    const lines = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive });
    lines.setPrompt(colors.cyan("you › "));
    const screen = new ChatScreen(interactive ? lines : undefined);
    const background = new Set<Promise<unknown>>();

    if (interactive) process.stdout.write(colors.dim(`tale chat · session "${args.session}" · /exit to leave\n`));
    screen.ready();
    for await (const line of lines) {
      const content = line.trim();
      if (content === "/exit" || content === "/quit") break;
      if (content) await runTurn(client, screen, args.session, content, background);
      screen.ready();
    }
    lines.close();
    // Piped input ends before the work it asked for; wait for the results.
    if (background.size) {
      if (interactive) process.stdout.write(colors.dim(`waiting for ${background.size} background task(s)…\n`));
      await Promise.all(background);
    }
  },
});

async function runTurn(client: ChatClient, screen: ChatScreen, session: string, content: string, background: Set<Promise<unknown>>): Promise<void> {
  screen.startReply();
  screen.write(colors.green("tale › "));
  await client.turn(session, content, (event) => {
    if (event.type === "delta") screen.write(event.text);
    if (event.type === "restart") screen.write(`\n${colors.yellow(`↻ ${event.reason} Starting the answer over:`)}\n`);
    if (event.type === "task") {
      const followed = followTask(client, screen, event.id);
      background.add(followed);
      void followed.finally(() => background.delete(followed));
    }
    if (event.type === "reply") {
      const time = event.latencyMs !== null ? ` · ${formatDuration(event.latencyMs)}` : "";
      screen.endReply(colors.dim(`ux · ${event.usage.promptTokens}→${event.usage.completionTokens} tokens${time}`));
    }
  });
}

async function followTask(client: ChatClient, screen: ChatScreen, id: string): Promise<TaskJson> {
  screen.notice(colors.dim(`⋯ handed to the task model as ${id}`));
  let lastNotice = Date.now();
  const task = await client.follow(id, (progress) => {
    if (progress.type !== "progress" || Date.now() - lastNotice < progressEveryMs) return;
    lastNotice = Date.now();
    screen.notice(colors.dim(`⋯ ${id} working · ${progress.tokens} tokens so far`));
  });
  if (task.status === "succeeded") {
    screen.notice(`${colors.magenta(`✔ ${id} done`)}\n${task.output ?? ""}\n${taskFooter(task)}`);
  } else {
    screen.notice(colors.red(`✖ ${id} ${task.status}: ${task.error?.message ?? ""}${task.error?.hint ? ` → ${task.error.hint}` : ""}`));
  }
  return task;
}
