import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { EngineConfig, TaleConfigLayer } from "./types.ts";
import { roles } from "./types.ts";

function resolveModel(model: string, baseDir: string): string {
  if (model === "default") return model;
  if (model === "~" || model.startsWith("~/")) return join(homedir(), model.slice(1));
  return isAbsolute(model) ? model : resolve(baseDir, model);
}

function resolveEngine(engine: EngineConfig, baseDir: string): EngineConfig {
  return engine.engine === "builtin" ? { ...engine, model: resolveModel(engine.model, baseDir) } : engine;
}

/**
 * Makes builtin model paths absolute against the folder of the layer that
 * declared them, so `./models/x.gguf` in a project config works from any
 * working directory. Process and remote `model`s are names, not paths.
 */
export function resolveModelPaths(layer: TaleConfigLayer, baseDir: string): TaleConfigLayer {
  const models = layer.models;
  if (!models) return layer;
  const resolved: TaleConfigLayer["models"] = {};
  for (const role of roles) {
    const value = models[role];
    if (value === undefined) continue;
    resolved[role] = Array.isArray(value) ? value.map((engine) => resolveEngine(engine, baseDir)) : resolveEngine(value, baseDir);
  }
  return { ...layer, models: resolved };
}
