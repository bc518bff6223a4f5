import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RouteInput } from "../../src/plugins/hook-schema";
import { repoRoot } from "./tale";

/** Plugin hosts for tests run from source, so the suite needs no build: `bun src/main.ts plugin-host`. */
export const pluginHostCommand = [process.execPath, join(repoRoot, "src", "main.ts"), "plugin-host"];

/** A valid task:route input; the fixtures react to the task id ("spin", "trap", "fail", ...). */
export function routeInput(taskId = "t1", promptTokens = 12): RouteInput {
  return {
    version: 1,
    task: { id: taskId, kind: "prompt" },
    features: {
      promptTokens,
      contextTokens: promptTokens,
      messages: 1,
      conversational: true,
      hints: { code: false, multiStep: false, workIntent: false, question: true },
      maxTokens: null,
    },
    stats: {
      ux: { calls: 0, successRate: 1, p50LatencyMs: null },
      task: { calls: 0, successRate: 1, p50LatencyMs: null },
    },
    engines: { ux: ["ux-0"], task: ["task-0"] },
  };
}

/**
 * Live `plugin-host` children of this test process, from /proc: the check
 * that a test left no host behind, whatever restarts happened on the way.
 * A zombie does not count; it is dead, only not reaped yet.
 */
export function livePluginHosts(): number[] {
  const hosts: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the parenthesised command name: state, ppid, ...
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppid) !== process.pid || state === "Z") continue;
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").includes("plugin-host")) hosts.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return hosts;
}
