import { TaleError } from "../errors";
import { exportNameOf, hookNames, type HookName } from "./hook-schema";

/** What a plugin's `tale_manifest` export answers. */
export interface PluginManifest {
  name: string;
  version: string;
  hooks: HookName[];
  limits: {
    /** Per-call deadline the plugin asks for; the host caps it. */
    timeoutMs?: number;
    /** Memory the plugin says it needs; the host refuses more than its cap. */
    maxMemoryPages?: number;
  };
}

export const manifestExport = "tale_manifest";

const namePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
const manifestHint = `Answer from ${manifestExport} with JSON like {"name":"my-router","version":"1.0.0","hooks":["task:route"]} (docs/plugins.md).`;

export function parsePluginManifest(text: string, source: string): PluginManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(`${source}: ${manifestExport} answered invalid JSON: ${excerpt(text)}`);
  }
  if (!isRecord(value)) throw invalid(`${source}: ${manifestExport} answered ${excerpt(text)}, not a JSON object.`);
  const { name, version, hooks, limits = {} } = value;
  if (typeof name !== "string" || !namePattern.test(name)) {
    throw invalid(`${source}: the manifest name must be 1-64 letters, digits, ".", "_" or "-" (got ${JSON.stringify(name)}).`);
  }
  if (typeof version !== "string" || version.length === 0 || version.length > 64) {
    throw invalid(`${source}: the manifest of ${name} needs a "version" string (got ${JSON.stringify(version)}).`);
  }
  if (!Array.isArray(hooks) || hooks.length === 0) {
    throw invalid(`${source}: the manifest of ${name} must list its hooks, one or more of ${hookNames.join(", ")}.`);
  }
  for (const hook of hooks) {
    if (!hookNames.includes(hook)) {
      throw invalid(`${source}: ${name} declares the hook ${JSON.stringify(hook)}, which tale does not have (known: ${hookNames.join(", ")}).`);
    }
  }
  if (!isRecord(limits)) throw invalid(`${source}: the manifest "limits" of ${name} must be an object.`);
  return {
    name,
    version,
    hooks: [...new Set(hooks as HookName[])],
    limits: {
      ...optionalCount(limits, "timeoutMs", source, name),
      ...optionalCount(limits, "maxMemoryPages", source, name),
    },
  };
}

/** A manifest's promise is only good if the module exports a function per declared hook. */
export function missingHookExports(manifest: PluginManifest, functions: readonly string[]): string[] {
  return manifest.hooks.map(exportNameOf).filter((name) => !functions.includes(name));
}

function optionalCount(limits: Record<string, unknown>, key: "timeoutMs" | "maxMemoryPages", source: string, name: string): Partial<PluginManifest["limits"]> {
  const value = limits[key];
  if (value === undefined) return {};
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw invalid(`${source}: the manifest limit ${key} of ${name} must be a whole number of at least 1 (got ${JSON.stringify(value)}).`);
  }
  return { [key]: value };
}

function invalid(message: string): TaleError {
  return new TaleError("PLUGIN_FAILED", message, { hint: manifestHint });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function excerpt(text: string, max = 120): string {
  if (text.length === 0) return "(nothing)";
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
