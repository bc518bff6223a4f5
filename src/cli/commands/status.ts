import { defineCommand } from "citty";
import { colors } from "consola/utils";
import type { StatusReport } from "../../api/status-report";
import { homePaths } from "../../daemon/home";
import { findDaemon } from "../../daemon/launcher";
import { formatDuration } from "../../util/duration";
import { createApiClient } from "../client";
import { table } from "../output/task-view";

/** Like `systemctl status`, a stopped daemon is exit code 3, so scripts can tell. */
const notRunningExitCode = 3;

export default defineCommand({
  meta: { name: "status", description: "Show the daemon, its engines and the queue" },
  args: { json: { type: "boolean", description: "Print JSON" } },
  async run({ args }) {
    const connection = await findDaemon(homePaths());
    if (!connection) {
      process.stdout.write(args.json ? `${JSON.stringify({ daemon: null, engines: [], queue: null })}\n` : "tale is not running. Start it with `tale up`.\n");
      process.exitCode = notRunningExitCode;
      return;
    }
    const report = await createApiClient(connection)<StatusReport>("/v1/status");
    if (args.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return;
    }
    process.stdout.write(renderStatus(report));
  },
});

function renderStatus(report: StatusReport): string {
  const { daemon, engines, queue } = report;
  const lines = [
    `${colors.green("●")} tale ${daemon.version} · pid ${daemon.pid} · http://${daemon.host}:${daemon.port} · up ${formatDuration(daemon.uptimeMs)} · ${Math.round(daemon.rssBytes / 1048576)} MB`,
    colors.dim(`  home ${daemon.home}${daemon.configSources.length ? ` · config ${daemon.configSources.join(", ")}` : ""}`),
    "",
    table(
      ["ENGINE", "ROLE", "STATE", "CIRCUIT", "PID", "MODEL", "PORT", "UPTIME", "RESTARTS"],
      engines.map((engine) => [
        engine.id,
        engine.role,
        stateColor(engine.state)(engine.state),
        circuitText(engine.circuit, engine.circuitRetryAt),
        engine.pid ? String(engine.pid) : "-",
        engine.model,
        engine.port ? String(engine.port) : "-",
        engine.uptimeMs ? formatDuration(engine.uptimeMs) : "-",
        String(engine.restarts),
      ]),
    ),
  ];
  for (const engine of engines) {
    if (engine.lastError && engine.state !== "healthy") lines.push(colors.yellow(`  ${engine.id}: ${engine.lastError.message}${engine.lastError.hint ? ` → ${engine.lastError.hint}` : ""}`));
  }
  lines.push("", `queue: ${Object.entries(queue).map(([status, count]) => `${status} ${count}`).join(" · ")}`);
  const { plugins } = report;
  if (plugins.loaded.length || plugins.failed.length) {
    const breaker = (state: string) => (state === "closed" ? colors.green(state) : state === "open" ? colors.red(`${state} (fallback answers)`) : colors.yellow(state));
    lines.push(
      `plugins: ${plugins.loaded.map((plugin) => `${plugin.name} ${breaker(plugin.breaker)} · ${plugin.calls} calls, ${plugin.failures} failed`).join("; ") || "none"}`,
    );
    for (const failure of plugins.failed) lines.push(colors.red(`  not loaded: ${failure.path}: ${failure.error.message}`));
  }
  lines.push("");
  return lines.join("\n");
}

function stateColor(state: string): (text: string) => string {
  if (state === "healthy") return colors.green;
  if (state === "failed" || state === "crashed") return colors.red;
  return colors.yellow;
}

/** An open circuit says when its one trial start comes. */
function circuitText(circuit: string, retryAt: string | null): string {
  if (circuit === "closed") return colors.green(circuit);
  if (circuit === "open") return colors.red(retryAt ? `open, retry ${new Date(retryAt).toLocaleTimeString()}` : "open");
  return colors.yellow(circuit);
}
