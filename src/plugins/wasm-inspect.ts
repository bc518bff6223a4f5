import { TaleError } from "../errors";
import { readWasmModule, WasmFormatError, type WasmExport, type WasmImport, type WasmMemory } from "./wasm-sections";

/**
 * The sandbox's admission check, run on a plugin's bytes before any process
 * sees them: a real core module, importing nothing but Extism's kernel (no
 * WASI, no host functions), with a declared memory maximum within the cap.
 * Extism 1.0.3 has no host-side memory limit, so the declared maximum is the
 * only bound on a plugin's linear memory.
 */
export const defaultMaxMemoryPages = 256;
export const wasmPageBytes = 65_536;
export const extismKernelModule = "extism:host/env";

/** Everything the Extism JS SDK 1.0.3 kernel provides; importing anything else fails at instantiation. */
const kernelFunctions = new Set([
  "alloc", "free", "length", "length_unsafe", "load_u8", "load_u64", "store_u8", "store_u64",
  "input_offset", "input_length", "input_load_u8", "input_load_u64", "output_set", "error_set",
  "config_get", "var_get", "var_set", "http_request", "http_status_code",
  "log_warn", "log_info", "log_debug", "log_error",
]);

export interface InspectWasmOptions {
  /** Names the module in messages: a path, or a plugin name for embedded bytes. */
  source?: string;
  /** Largest declared memory maximum accepted, in 64 KiB pages. */
  maxMemoryPages?: number;
}

export interface WasmInspection {
  sizeBytes: number;
  /** Exported function names: the plugin's entry points. */
  functions: string[];
  exports: WasmExport[];
  imports: WasmImport[];
  /** The module's (single) linear memory; null when it has none. */
  memory: WasmMemory | null;
}

export function inspectWasm(bytes: Uint8Array, options: InspectWasmOptions = {}): WasmInspection {
  const source = options.source ?? "the plugin";
  const maxPages = options.maxMemoryPages ?? defaultMaxMemoryPages;
  let info;
  try {
    info = readWasmModule(bytes);
  } catch (error) {
    if (!(error instanceof WasmFormatError)) throw error;
    throw refused(`${source} is not a usable WebAssembly module: ${error.message}.`, formatHints[error.reason]);
  }

  for (const entry of info.imports) checkImport(source, entry);
  if (info.memories.length > 1) {
    throw refused(`${source} declares ${info.memories.length} memories; a plugin may have one.`, "Build it with AssemblyScript and the flags `tale plugin build` uses.");
  }
  const memory = info.memories[0] ?? null;
  if (memory) checkMemory(source, memory, maxPages);
  // The section walk skips function bodies; the engine's validator catches a corrupt code section before a child loads it.
  if (!WebAssembly.validate(bytes)) {
    throw refused(`${source} is not a valid WebAssembly module: its headers read correctly but its code does not validate.`, formatHints.malformed);
  }
  return {
    sizeBytes: bytes.length,
    functions: info.exports.filter((entry) => entry.kind === "function").map((entry) => entry.name),
    exports: info.exports,
    imports: info.imports,
    memory,
  };
}

const formatHints: Record<WasmFormatError["reason"], string> = {
  "not-wasm": "A plugin is a .wasm file compiled by `tale plugin build` (AssemblyScript with @extism/as-pdk); check the path points at the .wasm, not its source.",
  "unsupported-version": "tale loads WebAssembly core modules (version 1) built with an Extism PDK, not components.",
  truncated: "The file is cut short; rebuild it, or wait until the copy finishes (tale reloads it when it changes).",
  malformed: "The file is damaged; rebuild it with `tale plugin build`.",
};

function checkImport(source: string, entry: WasmImport): void {
  const what = `${entry.module}.${entry.name}`;
  if (entry.module === extismKernelModule) {
    if (entry.kind === "function" && kernelFunctions.has(entry.name)) return;
    throw refused(`${source} imports ${what}, which Extism's kernel does not provide.`, "Import only what @extism/as-pdk declares; tale grants plugins no host functions.");
  }
  if (entry.module.startsWith("wasi")) {
    throw refused(`${source} imports ${what}: plugins get no WASI (no files, clock, random or environment).`, "Build without a WASI target or shim; an AssemblyScript plugin with @extism/as-pdk needs none.");
  }
  if (entry.module === "env" && entry.name === "abort") {
    throw refused(`${source} imports env.abort, which the sandbox does not provide.`, "Compile with `--use abort=<module>/<function>` pointing at your own abort function (`tale plugin build` does).");
  }
  throw refused(`${source} imports ${what}; plugins may import only Extism's kernel (${extismKernelModule}).`, "tale grants plugins no host functions: pass data in the hook input or the plugin config instead.");
}

function checkMemory(source: string, memory: WasmMemory, maxPages: number): void {
  const flag = `--maximumMemory ${Math.min(maxPages, defaultMaxMemoryPages)}`;
  if (memory.imported) {
    throw refused(`${source} imports its memory; a plugin must declare its own.`, `Compile without --importMemory, with ${flag}.`);
  }
  if (memory.maxPages === null) {
    throw refused(`${source} declares no maximum for its memory, so it could grow until the machine runs out.`, `Compile it with ${flag} (64 KiB pages; the limit is ${maxPages} = ${mib(maxPages)}).`);
  }
  if (memory.maxPages > maxPages) {
    throw refused(
      `${source} declares a memory maximum of ${memory.maxPages} pages (${mib(memory.maxPages)}), above the limit of ${maxPages} pages (${mib(maxPages)}).`,
      `Compile it with ${flag} or less, or raise the plugin memory limit (maxMemoryPages) in tale's config.`,
    );
  }
}

function refused(message: string, hint: string): TaleError {
  return new TaleError("PLUGIN_FAILED", message, { hint });
}

function mib(pages: number): string {
  const value = (pages * wasmPageBytes) / 1_048_576;
  return `${Number.isInteger(value) ? value : value.toFixed(2)} MiB`;
}
