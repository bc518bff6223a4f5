import { resolve } from "node:path";
import { TaleError, toTaleError } from "../errors";
import { selfCommand } from "../util/self-command";
import { callEntry, type EntryCallOptions } from "./entry-call";
import type { HookIO, HookName } from "./hook-schema";
import { PluginEntry, type LoadedPlugin } from "./loaded-plugin";
import { createPluginBreaker } from "./plugin-breaker";
import { digestOf, startPlugin, type SandboxLimits, type StartedPlugin } from "./plugin-loader";
import { watchPluginFile } from "./plugin-watch";
import { createTimeoutAlerts } from "./timeout-alerts";
import { defaultMaxMemoryPages } from "./wasm-inspect";

/**
 * Loads plugins, calls their hooks through a circuit breaker, and reloads
 * file-backed plugins when their file changes. Each plugin runs in its own
 * `tale plugin-host` process (see plugin-process.ts for why).
 */
export interface PluginLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export interface PluginManagerOptions {
  /** Per-call deadline for plugins whose manifest sets none. */
  deadlineMs?: number;
  /** The most a manifest's limits.timeoutMs may ask for. */
  maxDeadlineMs?: number;
  /** Largest declared memory maximum accepted, in 64 KiB pages; also each call's budget of Extism kernel memory. */
  maxMemoryPages?: number;
  /** A host process past this resident size while running a call is killed. */
  maxRssBytes?: number;
  /** How long a host process may take to start and load its plugin. */
  startTimeoutMs?: number;
  /** How often a running call's host process has its memory read. */
  memoryPollMs?: number;
  breaker?: {
    /** Failures in a row that switch a plugin off. */
    failures?: number;
    /** How long it stays off before one trial call. */
    cooldownMs?: number;
  };
  /** At most one "timeouts" alert per plugin this often. */
  timeoutAlertIntervalMs?: number;
  /** Reload file-backed plugins when their file changes. */
  watch?: boolean;
  /** Quiet time after the last change before a reload. */
  watchDebounceMs?: number;
  /** The command that runs a plugin host; tests pass `bun src/main.ts plugin-host`. */
  hostCommand?: string[];
  log?: PluginLog;
}

export const pluginDefaults = {
  deadlineMs: 50,
  maxDeadlineMs: 1000,
  maxMemoryPages: defaultMaxMemoryPages,
  maxRssBytes: 256 * 1_048_576,
  startTimeoutMs: 5000,
  breakerFailures: 5,
  breakerCooldownMs: 30_000,
  timeoutAlertIntervalMs: 60_000,
  watchDebounceMs: 150,
} as const;

export interface PluginSource {
  /** The name the plugin is known by; default: its manifest's name. */
  name?: string;
  /** A .wasm file; watched for changes. */
  path?: string;
  /** The module itself (an embedded plugin); used instead of reading `path`. */
  bytes?: Uint8Array;
  /** Handed to the plugin as Extism config; values become strings. */
  config?: Record<string, string | number | boolean>;
}

export interface PluginAlert {
  plugin: string;
  kind: "breaker-open" | "breaker-closed" | "timeouts" | "reload-failed" | "reloaded";
  severity: "info" | "warning";
  message: string;
  at: number;
}

export type PluginCallOptions = EntryCallOptions;

export interface PluginManager {
  load(source: PluginSource): Promise<LoadedPlugin>;
  /** Calls a hook of one plugin and returns its output, checked against the hook's schema. */
  call<H extends HookName>(plugin: LoadedPlugin | string, hook: H, input: HookIO[H]["input"], options?: PluginCallOptions): Promise<HookIO[H]["output"]>;
  /** Reads a file-backed plugin again and swaps it in; on failure the running version stays and the error is thrown and recorded. */
  reload(plugin: LoadedPlugin | string): Promise<LoadedPlugin>;
  unload(plugin: LoadedPlugin | string): Promise<void>;
  get(name: string): LoadedPlugin | undefined;
  /** In load order. */
  list(): LoadedPlugin[];
  /** Plugins that declare `hook`, in load order. */
  pluginsFor(hook: HookName): LoadedPlugin[];
  /** Breaker and reload events; also logged. Returns a function that unsubscribes. */
  onAlert(listener: (alert: PluginAlert) => void): () => void;
  close(): Promise<void>;
}

const silentLog: PluginLog = { debug() {}, info() {}, warn() {} };

export function createPluginManager(options: PluginManagerOptions = {}): PluginManager {
  const log = options.log ?? silentLog;
  const limits: SandboxLimits = {
    deadlineMs: options.deadlineMs ?? pluginDefaults.deadlineMs,
    maxDeadlineMs: options.maxDeadlineMs ?? pluginDefaults.maxDeadlineMs,
    maxMemoryPages: options.maxMemoryPages ?? pluginDefaults.maxMemoryPages,
    maxRssBytes: options.maxRssBytes ?? pluginDefaults.maxRssBytes,
    startTimeoutMs: options.startTimeoutMs ?? pluginDefaults.startTimeoutMs,
    memoryPollMs: options.memoryPollMs,
  };
  const breakerOptions = {
    failures: options.breaker?.failures ?? pluginDefaults.breakerFailures,
    cooldownMs: options.breaker?.cooldownMs ?? pluginDefaults.breakerCooldownMs,
  };
  const hostCommand = options.hostCommand ?? selfCommand(["plugin-host"]);
  const entries = new Map<string, PluginEntry>();
  const alertListeners = new Set<(alert: PluginAlert) => void>();
  let closed = false;

  const alert = (plugin: string, kind: PluginAlert["kind"], message: string) => {
    const severity = kind === "breaker-open" || kind === "timeouts" || kind === "reload-failed" ? "warning" : "info";
    (severity === "warning" ? log.warn : log.info)(message);
    const event: PluginAlert = { plugin, kind, severity, message, at: Date.now() };
    for (const listener of alertListeners) listener(event);
  };

  const timeoutAlerts = createTimeoutAlerts(options.timeoutAlertIntervalMs ?? pluginDefaults.timeoutAlertIntervalMs, (plugin, message) => alert(plugin, "timeouts", message));
  const callReporting = { debug: log.debug, timedOut: timeoutAlerts.timedOut };

  const start = (bytes: Uint8Array, source: string, name: string | undefined, config: Record<string, string>) =>
    startPlugin({ bytes, source, name, config, hostCommand, limits, onEvent: (event) => log[event.level](event.message) });

  const newBreaker = (name: string) => {
    const breaker = createPluginBreaker(`Plugin "${name}"`, breakerOptions);
    breaker.onOpen(() => {
      const entry = entries.get(name);
      // Callers still waiting get their fallback now rather than after their turn at a plugin that is switched off.
      for (const pending of entry?.pending ?? []) pending.abort(breaker.openError());
      const cause = entry?.stats.lastError?.message ?? "repeated failures";
      alert(name, "breaker-open", `Plugin "${name}" switched off after ${breakerOptions.failures} failures in a row (last: ${cause}); built-in policies stand in, and tale tries it again in ${Math.round(breakerOptions.cooldownMs / 1000)} s.`);
    });
    breaker.onClose(() => alert(name, "breaker-closed", `Plugin "${name}" answered its trial call and is switched on again.`));
    return breaker;
  };

  const entryOf = (plugin: LoadedPlugin | string): PluginEntry => {
    const name = typeof plugin === "string" ? plugin : plugin.name;
    const entry = entries.get(name);
    if (!entry) {
      throw new TaleError("PLUGIN_FAILED", `No plugin named "${name}" is loaded.`, {
        hint: `Loaded plugins: ${[...entries.keys()].join(", ") || "none"}.`,
      });
    }
    return entry;
  };

  /** New calls go to `next` at once; calls already queued on the old version finish there first. */
  const swapIn = (entry: PluginEntry, next: StartedPlugin) => {
    const previous = entry.running.process;
    entry.running = next;
    entry.breakerPolicy.dispose();
    entry.breakerPolicy = newBreaker(entry.name);
    entry.reloads += 1;
    entry.loadedAt = Date.now();
    entry.reloadError = null;
    entry.retiring.add(previous);
    void previous.retire().finally(() => entry.retiring.delete(previous));
  };

  const reloadFromFile = async (entry: PluginEntry): Promise<void> => {
    const path = entry.path!;
    try {
      const bytes = await readPluginFile(path);
      if (digestOf(bytes) === entry.running.digest) return;
      const next = await start(bytes, path, entry.name, entry.config);
      if (entry.closed || closed) {
        await next.process.close();
        return;
      }
      swapIn(entry, next);
      alert(entry.name, "reloaded", `Plugin "${entry.name}" reloaded from ${path} (version ${next.manifest.version}).`);
    } catch (error) {
      const failure = toTaleError(error, "PLUGIN_FAILED");
      entry.reloadError = { ...failure.toJSON(), at: Date.now() };
      alert(entry.name, "reload-failed", `Plugin "${entry.name}" was not reloaded, version ${entry.version} keeps serving: ${failure.message}`);
      throw failure;
    }
  };

  const reload = (entry: PluginEntry): Promise<void> => {
    if (entry.reloading) {
      entry.reloadAgain = true;
      return entry.reloading;
    }
    entry.reloading = (async () => {
      try {
        // A change that lands during a reload (a copy still being written, say) gets a reload of its own, even if this one failed.
        let failure: unknown;
        do {
          entry.reloadAgain = false;
          failure = undefined;
          try {
            await reloadFromFile(entry);
          } catch (error) {
            failure = error;
          }
        } while (entry.reloadAgain && !entry.closed);
        if (failure) throw failure;
      } finally {
        entry.reloading = undefined;
      }
    })();
    return entry.reloading;
  };

  return {
    async load(source) {
      if (closed) throw new TaleError("PLUGIN_FAILED", "The plugin manager is closed.");
      const path = source.path === undefined ? null : resolve(source.path);
      if (!source.bytes && !path) throw new TaleError("PLUGIN_FAILED", "A plugin source needs a path or bytes.", { hint: 'Give each entry of "plugins" in the config a "path" to a .wasm file.' });
      const bytes = source.bytes ?? (await readPluginFile(path!));
      const config = stringConfig(source.config ?? {});
      const started = await start(bytes, path ?? source.name ?? "plugin bytes", source.name, config);
      const name = source.name ?? started.manifest.name;
      if (entries.has(name) || closed) {
        await started.process.close();
        if (closed) throw new TaleError("PLUGIN_FAILED", "The plugin manager is closed.");
        throw new TaleError("PLUGIN_FAILED", `A plugin named "${name}" is already loaded${path ? ` (loading ${path})` : ""}.`, {
          hint: "Give one of them another name in the config, or unload the first.",
        });
      }
      const entry = new PluginEntry(name, path, config, started, newBreaker(name));
      entries.set(name, entry);
      if (path && !source.bytes && options.watch !== false) {
        entry.stopWatching = watchPluginFile(path, options.watchDebounceMs ?? pluginDefaults.watchDebounceMs, () => {
          reload(entry).catch(() => {
            // Recorded in reloadError and alerted; the old version serves on.
          });
        });
      }
      log.info(`Plugin "${name}" ${started.manifest.version} loaded${path ? ` from ${path}` : ""} (hooks: ${started.manifest.hooks.join(", ")}; deadline ${entry.deadlineMs} ms).`);
      return entry;
    },

    async call(plugin, hook, input, callOptions = {}) {
      const entry = entryOf(plugin);
      if (!entry.hooks.includes(hook)) {
        throw new TaleError("PLUGIN_FAILED", `Plugin "${entry.name}" does not handle ${hook}.`, { hint: `It handles ${entry.hooks.join(", ")}.` });
      }
      return callEntry(entry, hook, input, callOptions, callReporting);
    },

    async reload(plugin) {
      const entry = entryOf(plugin);
      if (!entry.path) throw new TaleError("PLUGIN_FAILED", `Plugin "${entry.name}" was loaded from bytes, not a file, so there is nothing to reload.`);
      await reload(entry);
      return entry;
    },

    async unload(plugin) {
      const entry = entryOf(plugin);
      entries.delete(entry.name);
      await closeEntry(entry);
    },

    get: (name) => entries.get(name),
    list: () => [...entries.values()],
    pluginsFor: (hook) => [...entries.values()].filter((entry) => entry.hooks.includes(hook)),

    onAlert(listener) {
      alertListeners.add(listener);
      return () => alertListeners.delete(listener);
    },

    async close() {
      closed = true;
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map(closeEntry));
      alertListeners.clear();
    },
  };
}

async function closeEntry(entry: PluginEntry): Promise<void> {
  entry.closed = true;
  entry.stopWatching?.();
  entry.breakerPolicy.dispose();
  await entry.reloading?.catch(() => {});
  await Promise.all([entry.running.process, ...entry.retiring].map((process) => process.close()));
}

async function readPluginFile(path: string): Promise<Uint8Array> {
  try {
    return await Bun.file(path).bytes();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TaleError("PLUGIN_FAILED", `Cannot read the plugin file ${path} (${code ?? (error as Error).message}).`, {
      hint: code === "ENOENT" ? "Check the path in the plugins section of your config; relative paths are resolved from the config file's folder." : "Check the file's permissions.",
      cause: error,
    });
  }
}

function stringConfig(config: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, String(value)]));
}
