import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { EngineConfig, TaleConfigLayer } from "./types.ts";
import { roles } from "./types.ts";

function resolvePath(path: string, baseDir: string): string {
  if (path === "~" || path.startsWith("~/")) return join(homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function resolveModel(model: string, baseDir: string): string {
  return model === "default" ? model : resolvePath(model, baseDir);
}

function resolveEngine(engine: EngineConfig, baseDir: string): EngineConfig {
  return engine.engine === "builtin" ? { ...engine, model: resolveModel(engine.model, baseDir) } : engine;
}

/**
 * Makes builtin model and plugin paths absolute against the folder of the layer that
 * declared them, so `./models/x.gguf` in a project config works from any
 * working directory. Process and remote `model`s are names, not paths.
 */
export function resolveModelPaths(layer: TaleConfigLayer, baseDir: string): TaleConfigLayer {
  const withPlugins = layer.plugins ? { ...layer, plugins: layer.plugins.map((plugin) => ({ ...plugin, path: resolvePath(plugin.path, baseDir) })) } : layer;
  const models = withPlugins.models;
  if (!models) return withPlugins;
  const resolved: TaleConfigLayer["models"] = {};
  for (const role of roles) {
    const value = models[role];
    if (value === undefined) continue;
    resolved[role] = Array.isArray(value) ? value.map((engine) => resolveEngine(engine, baseDir)) : resolveEngine(value, baseDir);
  }
  return { ...withPlugins, models: resolved };
}
