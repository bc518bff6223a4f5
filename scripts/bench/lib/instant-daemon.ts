import { join } from "node:path";
import { createBenchHome, type BenchHome } from "./tale-home";

export interface InstantDaemon {
  home: BenchHome;
  baseUrl: string;
  pid: number;
  headers: Record<string, string>;
  /** One POST /v1/chat/completions of a single token on the ux role. */
  chat(index: number): Promise<void>;
}

const priorities = ["low", "normal", "high", "critical"];

/** A daemon whose ux and task roles are both the instant engine, so what is measured is the daemon itself. */
export async function startInstantDaemon(options: { cacheDir: string; engineBaseUrl: string; concurrency: number; maxQueued: number; metrics: boolean }): Promise<InstantDaemon> {
  const home = createBenchHome({ cacheDir: options.cacheDir });
  const remote = { engine: "remote", baseUrl: options.engineBaseUrl, model: "instant", slots: options.concurrency };
  await Bun.write(
    join(home.home, "config.json"),
    JSON.stringify({
      models: { ux: remote, task: remote },
      scheduler: { maxConcurrent: options.concurrency, maxQueued: options.maxQueued },
      log: { level: "warn" },
      metrics: { enabled: options.metrics },
    }),
  );
  await home.tale(["up"]);
  await home.waitHealthy();
  const { baseUrl, token, pid } = home.daemon();
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  return {
    home,
    baseUrl,
    pid,
    headers,
    async chat(index) {
      const response = await fetch(`${baseUrl}/v1/chat/completions`, {
        method: "POST",
        headers,
        body: JSON.stringify({ model: "ux", messages: [{ role: "user", content: `hi ${index}` }], max_tokens: 1, priority: priorities[index % 4] }),
      });
      if (!response.ok) throw new Error(await response.text());
      await response.text();
    },
  };
}
