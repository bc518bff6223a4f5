import type { ProcessEngineConfig } from "../config/types";
import { TaleError } from "../errors";
import { superviseChild } from "./child";
import { outputLogged, type EngineLog } from "./engine-log";
import { createHealthProbe, waitUntilHealthy } from "./health";
import { loopback, type EngineLauncher } from "./launcher";

export interface ProcessLauncherOptions {
  engineId: string;
  config: ProcessEngineConfig;
  log: EngineLog;
  healthTimeoutMs: number;
  /** How often to poll the health path while the server boots. */
  readyPollMs?: number;
}

/** Default health path, and the fallback for servers that do not have it. */
const healthPaths = ["/health", "/v1/models"];

export function processLauncher(options: ProcessLauncherOptions): EngineLauncher {
  const { config, engineId, log } = options;
  const argv = commandArgs(config.command, config.port);
  const origin = `http://${loopback}:${config.port}`;
  const paths = [...new Set([config.healthPath ?? healthPaths[0]!, ...healthPaths.slice(1)])];
  return {
    async launch({ signal, onSpawn }) {
      assertPortFree(config.port, engineId);
      const proc = spawn(argv, { ...process.env, ...config.env }, engineId);
      const outputDone = Promise.all([log.drain(proc.stdout.getReader()), log.drain(proc.stderr.getReader())]).then(() => {});
      // Its own process group, so a server's workers die with it.
      const child = superviseChild(proc, { engineId, group: true });
      onSpawn(child.killNow);
      const health = createHealthProbe({ urls: paths.map((path) => `${origin}${path}`), timeoutMs: options.healthTimeoutMs });
      try {
        await waitUntilHealthy(health, AbortSignal.any([signal, child.exitSignal]), options.readyPollMs ?? 100);
      } catch (error) {
        await child.stop(0);
        await outputLogged(outputDone);
        throw error;
      }
      return {
        pid: child.pid,
        port: config.port,
        baseUrl: `${origin}/v1`,
        health,
        exited: child.exited.then(async (info) => (await outputLogged(outputDone), info)),
        stop: child.stop,
      };
    },
  };
}

export function commandArgs(command: string | string[], port: number): string[] {
  const parts = typeof command === "string" ? command.trim().split(/\s+/) : command;
  return parts.map((part) => part.replaceAll("{port}", String(port)));
}

function spawn(argv: string[], env: Record<string, string | undefined>, engineId: string) {
  try {
    // Output comes through pipes so the daemon can write (and rotate) the log file; see engine-log.ts.
    return Bun.spawn(argv, { detached: true, stdin: "ignore", stdout: "pipe", stderr: "pipe", env });
  } catch (error) {
    // A missing or non-executable program is a config mistake no restart fixes.
    const code = (error as NodeJS.ErrnoException).code;
    const notRunnable = code === "ENOENT" || code === "EACCES";
    throw new TaleError(notRunnable ? "CONFIG" : "ENGINE_START_FAILED", `Engine ${engineId} could not run "${argv[0]}" (${code ?? "spawn failed"}).`, {
      hint: "Check the command of this engine in your tale config: is the program installed, executable and on PATH?",
      cause: error,
    });
  }
}

/**
 * A server left over from an earlier run would answer the health check in
 * place of the one just started, so a taken port is an error, not a success.
 */
function assertPortFree(port: number, engineId: string): void {
  try {
    const probe = Bun.listen({ hostname: loopback, port, socket: { data() {} } });
    probe.stop(true);
  } catch (error) {
    throw new TaleError("PORT_IN_USE", `Engine ${engineId} needs port ${port}, but another program listens on it.`, {
      hint: `Stop the program on port ${port} (perhaps a server left from an earlier run) or give this engine another port.`,
      cause: error,
    });
  }
}
