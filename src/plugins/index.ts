/**
 * tale's plugin runtime: WebAssembly plugins (Extism, AssemblyScript) that
 * decide policies at the core's hooks, each in a killable child process.
 */
export { inspectWasm, defaultMaxMemoryPages, type InspectWasmOptions, type WasmInspection } from "./wasm-inspect";
export { parsePluginManifest, type PluginManifest } from "./manifest";
export {
  createPluginManager,
  pluginDefaults,
  type PluginAlert,
  type PluginCallOptions,
  type PluginLog,
  type PluginManager,
  type PluginManagerOptions,
  type PluginSource,
} from "./plugin-manager";
export type { LoadedPlugin, PluginSnapshot } from "./loaded-plugin";
export type { BreakerState } from "./plugin-breaker";
export {
  registerPluginHooks,
  type DecidedBy,
  type MetricsTickHookContext,
  type PluginAlertOutput,
  type PluginHookFallbacks,
  type PluginHookRegistry,
  type PluginHooks,
  type RouteHookContext,
  type TaskCompletedHookContext,
} from "./plugin-hooks";
export * from "./hook-schema";
