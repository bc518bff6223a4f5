import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { StatusReport } from "../../../src/api/status-report";
import type { Role } from "../../../src/config/types";
import { onCleanup, tempDir } from "./cleanup";
import { isAlive, killPid, timeCommand, waitGone, type CommandRun } from "./processes";

export const repoRoot = resolve(import.meta.dir, "../../..");
export const taleBinary = join(repoRoot, "dist", "tale");
export const sharedModel = resolve(repoRoot, "../shared/models/llama-2-tiny-random.gguf");

export interface DaemonInfo {
  pid: number;
  baseUrl: string;
  token: string;
  startedAt: number;
}

/** A throwaway TALE_HOME driving the compiled binary, torn down at cleanup at the latest. */
export interface BenchHome {
  home: string;
  env: Record<string, string>;
  modelsDir: string;
  tale(args: string[], timeoutMs?: number): Promise<CommandRun>;
  daemon(): DaemonInfo;
  api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
  status(): Promise<StatusReport>;
  /** Polls the status until every engine is healthy. */
  waitHealthy(timeoutMs?: number): Promise<StatusReport>;
  /** `tale down`, then kills whatever it started that is still alive, then removes the folder. */
  close(): Promise<void>;
}

export function baseEnv(cacheDir: string): Record<string, string> {
  return { ...(process.env as Record<string, string>), TALE_CACHE_DIR: cacheDir, TALE_API_PORT: "0", NO_COLOR: "1" };
}

export function assertBinary(): void {
  if (!existsSync(taleBinary)) throw new Error(`${taleBinary} is missing: run \`node_modules/.bin/bun run build\` first.`);
}

export function createBenchHome(options: { cacheDir: string }): BenchHome {
  const dir = tempDir("tale-bench-home-");
  const home = dir.path;
  const env = { ...baseEnv(options.cacheDir), TALE_HOME: home };
  // Every daemon and engine pid seen, so a failed `tale down` still leaves nothing running.
  const seenPids = new Set<number>();

  const daemon = (): DaemonInfo => {
    const state = JSON.parse(readFileSync(join(home, "daemon.json"), "utf8")) as { pid: number; port: number; startedAt: number };
    seenPids.add(state.pid);
    return {
      pid: state.pid,
      baseUrl: `http://127.0.0.1:${state.port}`,
      token: readFileSync(join(home, "token"), "utf8").trim(),
      startedAt: state.startedAt,
    };
  };

  const api = async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const { baseUrl, token } = daemon();
    const response = await fetch(`${baseUrl}${path}`, {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };

  const status = async () => {
    const report = await api<StatusReport>("/v1/status");
    for (const engine of report.engines) if (engine.pid) seenPids.add(engine.pid);
    return report;
  };

  const close = async () => {
    await timeCommand([taleBinary, "down"], { env, cwd: home, timeoutMs: 20_000 }).catch(() => undefined);
    for (const pid of seenPids) {
      if (!(await waitGone(pid, 2000))) killPid(pid);
    }
    await dir.remove();
  };
  const forget = onCleanup(close);

  return {
    home,
    env,
    modelsDir: join(home, "models"),
    tale: (args, timeoutMs) => timeCommand([taleBinary, ...args], { env, cwd: home, timeoutMs }),
    daemon,
    api,
    status,
    async waitHealthy(timeoutMs = 30_000) {
      const deadline = performance.now() + timeoutMs;
      while (performance.now() < deadline) {
        const report = await status();
        if (report.engines.length && report.engines.every((engine) => engine.state === "healthy")) return report;
        await Bun.sleep(25);
      }
      throw new Error(`engines in ${home} were not all healthy within ${timeoutMs} ms`);
    },
    close: forget,
  };
}

/**
 * When each engine turned healthy, in ms after the daemon's startedAt. Both
 * uptimes in one status report are taken at the same instant by the daemon,
 * so their difference is exact without clock games; an engine that restarted
 * has a later attach time and is left out.
 */
export function engineReadyOffsets(report: StatusReport): Partial<Record<Role, number>> {
  const offsets: Partial<Record<Role, number>> = {};
  for (const engine of report.engines) {
    if (engine.state === "healthy" && engine.restarts === 0 && engine.uptimeMs !== null) {
      offsets[engine.role] = report.daemon.uptimeMs - engine.uptimeMs;
    }
  }
  return offsets;
}

export function aliveEnginePids(report: StatusReport): Array<{ role: Role; pid: number }> {
  return report.engines.flatMap((engine) => (engine.pid && isAlive(engine.pid) ? [{ role: engine.role, pid: engine.pid }] : []));
}
