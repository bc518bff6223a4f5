import { resolve } from "node:path";
import type { EngineConfig, ProcessEngineConfig, Role, TaleConfig } from "../../src/config/types";
import type { EngineSnapshot, EngineState, Supervisor, SupervisorConfig } from "../../src/supervisor";

export const miniServerScript = resolve(import.meta.dir, "mini-server.ts");

/** The supervisor's slice of the config, with timings short enough for tests. */
export function supervisionConfig(
  models: Partial<Record<Role, EngineConfig | EngineConfig[]>>,
  supervisor: Partial<TaleConfig["supervisor"]> = {},
): SupervisorConfig {
  return {
    models: { ux: [], task: [], ...models },
    builtin: { threads: 1, slots: 2, contextSize: 256, maxTokens: 16, warmSpare: true },
    supervisor: { healthIntervalMs: 100, startTimeoutMs: 10_000, backoffInitialMs: 50, backoffMaxMs: 400, ...supervisor },
  };
}

/** A process engine running the mini server on `port`. */
export function miniServerEngine(port: number, flags: string[] = []): ProcessEngineConfig {
  return { engine: "process", command: [process.execPath, miniServerScript, "--port", "{port}", ...flags], port };
}

export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = listener;
  listener.stop(true);
  return port;
}

export { isProcessRunning as isRunning } from "../../src/util/process-alive";

export async function waitUntil(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await Bun.sleep(10);
  }
}

/** Every state change of every engine, in order. */
export function recordStates(supervisor: Supervisor): { states(id: string): EngineState[] } {
  const seen: EngineSnapshot[] = [];
  supervisor.hooks.hook("engine:state", (snapshot) => void seen.push(snapshot));
  return { states: (id) => seen.filter((snapshot) => snapshot.id === id).map((snapshot) => snapshot.state) };
}

export function engineState(supervisor: Supervisor, id: string): EngineState | undefined {
  return supervisor.engines.find((engine) => engine.id === id)?.state;
}
