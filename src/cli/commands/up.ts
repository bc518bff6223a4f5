import { defineCommand } from "citty";
import { colors } from "consola/utils";
import { homePaths } from "../../daemon/home";
import { findDaemon, launchDaemon } from "../../daemon/launcher";
import { TaleError } from "../../errors";

export default defineCommand({
  meta: { name: "up", description: "Start the tale daemon (in the background unless --foreground)" },
  args: {
    foreground: { type: "boolean", description: "Stay attached and log to the terminal" },
    port: { type: "string", description: "API port on 127.0.0.1 (0 picks a free one)" },
  },
  async run({ args }) {
    const overrides = args.port !== undefined ? { api: { port: parsePort(args.port) } } : {};
    if (args.foreground) {
      const { runDaemon } = await import("../../daemon/daemon");
      await runDaemon({ overrides });
      return;
    }
    const paths = homePaths();
    const running = await findDaemon(paths);
    if (running) {
      process.stdout.write(`tale is already running (pid ${running.state.pid}, ${running.baseUrl}).\n`);
      return;
    }
    const connection = await launchDaemon({ paths, args: args.port !== undefined ? ["--port", args.port] : [] });
    process.stdout.write(`${colors.green("●")} tale is up (pid ${connection.state.pid}, ${connection.baseUrl}). Engines are starting; see \`tale status\`.\n`);
  },
});

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TaleError("BAD_REQUEST", `Invalid port "${text}".`, { hint: "Use a number from 1 to 65535, or 0 for any free port." });
  }
  return port;
}
