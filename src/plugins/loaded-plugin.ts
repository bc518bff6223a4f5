import type { SerializedError } from "../errors";
import { CallStats, type CallStatsSnapshot } from "./call-stats";
import type { HookName } from "./hook-schema";
import type { BreakerState, PluginBreaker } from "./plugin-breaker";
import type { StartedPlugin } from "./plugin-loader";
import type { PluginProcess } from "./plugin-process";

/** A plugin as `tale plugin list` and `tale status` show it: plain JSON. */
export interface PluginSnapshot extends CallStatsSnapshot {
  name: string;
  version: string;
  hooks: HookName[];
  /** The file it was loaded from; null for bytes (embedded plugins). */
  path: string | null;
  /** "ready": its host process runs; "restarting": after a kill, until the new one loads; "unloaded". */
  state: "ready" | "restarting" | "unloaded";
  breaker: BreakerState;
  deadlineMs: number;
  pid: number | null;
  restarts: number;
  lastRestartMs: number | null;
  reloads: number;
  loadedAt: number;
  /** Why the last reload of the file failed (the previous version keeps serving); null after a good one. */
  reloadError: (SerializedError & { at: number }) | null;
}

/** A live view: every read reflects the plugin now, across restarts and reloads. */
export interface LoadedPlugin {
  readonly name: string;
  readonly version: string;
  readonly hooks: readonly HookName[];
  readonly path: string | null;
  readonly state: PluginSnapshot["state"];
  readonly breaker: BreakerState;
  readonly deadlineMs: number;
  readonly pid: number | null;
  readonly stats: CallStatsSnapshot;
  snapshot(): PluginSnapshot;
}

/** The manager's record of one plugin; the running version is swapped in place on reload. */
export class PluginEntry implements LoadedPlugin {
  readonly calls = new CallStats();
  reloads = 0;
  loadedAt = Date.now();
  reloadError: PluginSnapshot["reloadError"] = null;
  closed = false;
  stopWatching: (() => void) | undefined;
  /** Serializes reloads of this plugin; a change during a reload queues one more. */
  reloading: Promise<void> | undefined;
  reloadAgain = false;
  /** Replaced versions still finishing the calls they had when a reload swapped them out. */
  readonly retiring = new Set<PluginProcess>();
  /** Calls whose callers still wait; aborted at once when the breaker opens. */
  readonly pending = new Set<AbortController>();

  constructor(
    readonly name: string,
    readonly path: string | null,
    readonly config: Record<string, string>,
    public running: StartedPlugin,
    public breakerPolicy: PluginBreaker,
  ) {}

  get version(): string {
    return this.running.manifest.version;
  }

  get hooks(): readonly HookName[] {
    return this.running.manifest.hooks;
  }

  get state(): PluginSnapshot["state"] {
    if (this.closed) return "unloaded";
    return this.running.process.pid === null ? "restarting" : "ready";
  }

  get breaker(): BreakerState {
    return this.breakerPolicy.state;
  }

  get deadlineMs(): number {
    return this.running.process.deadlineMs;
  }

  get pid(): number | null {
    return this.closed ? null : this.running.process.pid;
  }

  get stats(): CallStatsSnapshot {
    return this.calls.snapshot();
  }

  snapshot(): PluginSnapshot {
    const { process } = this.running;
    return {
      name: this.name,
      version: this.version,
      hooks: [...this.hooks],
      path: this.path,
      state: this.state,
      breaker: this.breaker,
      deadlineMs: this.deadlineMs,
      pid: this.pid,
      restarts: process.restarts,
      lastRestartMs: process.lastRestartMs === null ? null : Math.round(process.lastRestartMs),
      reloads: this.reloads,
      loadedAt: this.loadedAt,
      reloadError: this.reloadError,
      ...this.stats,
    };
  }
}
