import { availableParallelism } from "node:os";
import type { TaleConfig } from "./types.ts";

/** The lowest configuration layer; config/tale.config.example.json documents the same values. */
export function createDefaultConfig(): TaleConfig {
  return {
    api: { host: "127.0.0.1", port: 8253 },
    models: {
      ux: { engine: "builtin", model: "default" },
      task: { engine: "builtin", model: "default" },
    },
    builtin: {
      // More threads than cores makes llama.cpp generation many times slower.
      threads: availableParallelism(),
      slots: 2,
      contextSize: 2048,
      maxTokens: 128,
    },
    scheduler: { maxConcurrent: 8, maxAttempts: 3, defaultTimeoutMs: 0 },
    supervisor: { healthIntervalMs: 2000, startTimeoutMs: 30000, backoffInitialMs: 250, backoffMaxMs: 30000 },
    log: { level: "info" },
  };
}
