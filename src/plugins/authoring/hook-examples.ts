import type { HookIO, HookName } from "../hook-schema";

/**
 * One input and a matching answer for every hook, typed against the hook
 * schema so they cannot drift from it. The scaffold's README and example
 * cases are written from these, and docs/plugins.md is checked against them.
 */
export const hookExamples: { [Hook in HookName]: HookIO[Hook] } = {
  "task:route": {
    input: {
      version: 1,
      task: { id: "01JD8Z3K4V6Q9X2M5N7P8R0T1W", kind: "chat" },
      features: {
        promptTokens: 9,
        contextTokens: 41,
        messages: 3,
        conversational: true,
        hints: { code: false, multiStep: false, workIntent: false, question: true },
        maxTokens: null,
      },
      stats: {
        ux: { calls: 120, successRate: 0.99, p50LatencyMs: 180 },
        task: { calls: 14, successRate: 0.93, p50LatencyMs: 4200 },
      },
      engines: { ux: ["ux"], task: ["task"] },
    },
    output: { role: "ux", maxTokens: 256, reason: "conversation" },
  },
  "task:completed": {
    input: {
      version: 1,
      task: { id: "01JD8Z3K4V6Q9X2M5N7P8R0T1W", kind: "chat", role: "ux", engine: "ux", model: "llama-2-tiny-random" },
      outcome: "succeeded",
      errorCode: null,
      usage: { promptTokens: 41, completionTokens: 23 },
      latencyMs: 212,
      ttftMs: 31,
      attempts: 1,
    },
    output: {},
  },
  "metrics:tick": {
    input: {
      version: 1,
      at: 1764032400000,
      queue: { queued: 3, running: 2, succeeded: 118, failed: 1 },
      engines: [
        { id: "ux", role: "ux", state: "healthy", restarts: 0, inFlight: 1, slots: 4 },
        { id: "task", role: "task", state: "healthy", restarts: 1, inFlight: 1, slots: 1 },
      ],
      system: { loadAverage1m: 1.42, freeMemoryBytes: 17179869184, totalMemoryBytes: 25769803776, daemonRssBytes: 98566144 },
    },
    output: { alerts: [{ severity: "warning", message: "task engine restarted 1 time in the last minute" }] },
  },
};
