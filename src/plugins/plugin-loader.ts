import { TaleError } from "../errors";
import { exportNameOf } from "./hook-schema";
import { manifestExport, missingHookExports, parsePluginManifest, type PluginManifest } from "./manifest";
import { PluginProcess, type PluginProcessEvent } from "./plugin-process";
import { inspectWasm, wasmPageBytes, type WasmInspection } from "./wasm-inspect";

/**
 * From bytes to a running plugin: admission check, a host process with the
 * module loaded, and a manifest that matches the module's exports. Anything
 * wrong is a PLUGIN_FAILED error naming the source, and no process is left
 * behind.
 */
export interface SandboxLimits {
  deadlineMs: number;
  maxDeadlineMs: number;
  maxMemoryPages: number;
  maxRssBytes: number;
  startTimeoutMs: number;
  memoryPollMs?: number;
}

export interface StartPluginOptions {
  bytes: Uint8Array;
  /** A path or a name, for messages before the manifest names the plugin. */
  source: string;
  /** Overrides the manifest's name (embedded plugins are known by their file's name). */
  name?: string;
  config: Record<string, string>;
  hostCommand: string[];
  limits: SandboxLimits;
  onEvent(event: PluginProcessEvent): void;
}

export interface StartedPlugin {
  manifest: PluginManifest;
  process: PluginProcess;
  inspection: WasmInspection;
  /** sha256 of the bytes: a watched file rewritten with the same content is not reloaded. */
  digest: string;
}

export function digestOf(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

export async function startPlugin(options: StartPluginOptions): Promise<StartedPlugin> {
  const { source, limits } = options;
  const inspection = inspectWasm(options.bytes, { source, maxMemoryPages: limits.maxMemoryPages });
  if (!inspection.functions.includes(manifestExport)) {
    throw new TaleError("PLUGIN_FAILED", `${source} does not export ${manifestExport}, so it is not a tale plugin.`, {
      hint: `Export a function ${manifestExport}(): i32 that outputs the plugin's name, version and hooks as JSON (docs/plugins.md).`,
    });
  }
  const process = await PluginProcess.start({
    label: `Plugin ${options.name ?? source}`,
    bytes: options.bytes,
    config: options.config,
    command: options.hostCommand,
    deadlineMs: limits.deadlineMs,
    maxRssBytes: limits.maxRssBytes,
    // A call may take as much through Extism's kernel as a module may declare as linear memory.
    kernelBytesPerCall: limits.maxMemoryPages * wasmPageBytes,
    startTimeoutMs: limits.startTimeoutMs,
    memoryPollMs: limits.memoryPollMs,
    onEvent: options.onEvent,
  });
  try {
    const manifest = parsePluginManifest(process.loaded.manifest, source);
    checkManifest(manifest, inspection, options);
    process.label = `Plugin "${options.name ?? manifest.name}"`;
    process.deadlineMs = Math.min(manifest.limits.timeoutMs ?? limits.deadlineMs, limits.maxDeadlineMs);
    return { manifest, process, inspection, digest: digestOf(options.bytes) };
  } catch (error) {
    await process.close();
    throw error;
  }
}

function checkManifest(manifest: PluginManifest, inspection: WasmInspection, options: StartPluginOptions): void {
  const { source, limits } = options;
  const missing = missingHookExports(manifest, inspection.functions);
  if (missing.length > 0) {
    const hooks = manifest.hooks.filter((hook) => missing.includes(exportNameOf(hook)));
    throw new TaleError("PLUGIN_FAILED", `${source}: ${manifest.name} declares ${hooks.join(", ")} but does not export ${missing.join(", ")}.`, {
      hint: `A plugin handles hook "a:b" with an exported function a_b(): i32; export ${missing.join(", ")} or drop ${hooks.join(", ")} from its manifest.`,
    });
  }
  const pages = manifest.limits.maxMemoryPages;
  if (pages !== undefined && pages > limits.maxMemoryPages) {
    throw new TaleError("PLUGIN_FAILED", `${source}: ${manifest.name} asks for ${pages} memory pages; the limit is ${limits.maxMemoryPages}.`, {
      hint: "Lower limits.maxMemoryPages in its manifest (and --maximumMemory when compiling), or raise the plugin memory limit in tale's config.",
    });
  }
}
