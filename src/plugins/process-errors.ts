import { TaleError } from "../errors";
import type { CallFailureKind } from "./host-protocol";

/** How a plugin host's calls fail, worded once for plugin-process.ts. `label` names the plugin, e.g. `Plugin "router"`. */
export const processErrors = {
  failed(label: string, fn: string, kind: CallFailureKind, text: string): TaleError {
    return new TaleError("PLUGIN_FAILED", `${label} failed in ${fn}: ${text}.`, { hint: failureHints[kind], details: { reason: kind } });
  },

  memory(label: string, fn: string, rssBytes: number, maxRssBytes: number): TaleError {
    return new TaleError("PLUGIN_FAILED", `${label} grew its host process to ${mib(rssBytes)} in ${fn}, above the cap of ${mib(maxRssBytes)}; the process was killed and restarts.`, {
      hint: "The plugin allocates without bound (a memory bomb, or a leak across calls); free what it allocates and keep per-call work small.",
      details: { reason: "memory", rssBytes, maxRssBytes },
    });
  },

  cancelled(label: string, fn: string, cause?: unknown): TaleError {
    return new TaleError("CANCELLED", `The call to ${fn} of ${label} was cancelled.`, { cause });
  },

  /** Not the plugin's doing: the breaker does not count it. */
  restarting(label: string): TaleError {
    return new TaleError("PLUGIN_FAILED", `${label} is restarting its host process.`, {
      hint: "The fallback answers until the new host has loaded the plugin.",
      details: { reason: "restarting" },
    });
  },

  closed(label: string): TaleError {
    return new TaleError("PLUGIN_FAILED", `${label} was unloaded.`, { hint: "It was unloaded or replaced while the call waited; the next call uses the current plugin." });
  },
};

const failureHints: Record<CallFailureKind, string> = {
  trap: "The module trapped (unreachable, an out-of-bounds access, or its declared memory ran out); tale replaced the instance. `tale plugin test` with the same input reproduces it.",
  "plugin-error": "The plugin refused the input; compare it with the hook's schema in docs/plugins.md.",
  limit: "The plugin allocates without bound through Extism's kernel; free what it allocates and keep per-call work small. tale replaced the instance.",
};

function mib(bytes: number): string {
  return `${Math.round(bytes / 1_048_576)} MiB`;
}
