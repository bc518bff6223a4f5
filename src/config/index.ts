export { createDefaultConfig } from "./defaults.ts";
export { configEnvironment } from "./env-layers.ts";
export { loadTaleConfig, type LoadedConfig, type LoadTaleConfigOptions } from "./load.ts";
export { taleConfigLayerSchema, taleConfigSchema } from "./schema.ts";
export * from "./types.ts";
