import { availableParallelism } from "node:os";
import type { TaleConfig } from "./types.ts";

/** The lowest configuration layer; config/tale.config.example.json documents the same values. */
export function createDefaultConfig(): TaleConfig {
  return {
    api: { host: "127.0.0.1", port: 8253, rateLimitPerMinute: 0, rateLimitBurst: 20 },
    models: {
      ux: { engine: "builtin", model: "default" },
      task: { engine: "builtin", model: "default" },
    },
    builtin: {
      // The ux and task engines run side by side: each gets half the cores.
      // Oversubscribed llama.cpp threads spin against each other and made
      // generation 15-50x slower on a 2-core machine.
      threads: Math.max(1, Math.floor(availableParallelism() / 2)),
      slots: 2,
      contextSize: 2048,
      maxTokens: 128,
      warmSpare: true,
    },
    scheduler: { maxConcurrent: 8, maxAttempts: 3, defaultTimeoutMs: 0, maxQueued: 10000, agingMs: 1000, watchdogIntervalMs: 5000, maxQueueWaitMs: 120_000 },
    supervisor: {
      healthIntervalMs: 2000,
      startTimeoutMs: 30000,
      memoryBudgetMb: 0,
      backoffInitialMs: 250,
      backoffMaxMs: 30000,
      crashLoopCount: 5,
      crashLoopWindowMs: 60_000,
      // pm2's min_uptime: an engine killed while serving restarts at once; one that dies at start backs off.
      minUptimeMs: 1000,
      circuitCooldownMs: 60_000,
      endpointFailures: 5,
      // Generous: a large model on a CPU may think about a long prompt for a while before its first token.
      requestIdleTimeoutMs: 120_000,
      fallback: {},
    },
    log: { level: "info", maxFileMb: 10, keepFiles: 5 },
    otel: { endpoint: "", metricsEndpoint: "", tracesEndpoint: "", headers: {}, exportIntervalMs: 10_000, serviceName: "tale", traceSampleRatio: 1 },
    plugins: [],
    pluginRuntime: {
      callTimeoutMs: 50,
      maxMemoryPages: 256,
      maxRssMb: 256,
      breakerFailures: 5,
      breakerCooldownMs: 30_000,
      builtinRouter: true,
    },
    ledger: { costWeights: {}, fallbackUxWeight: 0.1 },
    metrics: { enabled: true },
  };
}
