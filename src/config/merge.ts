import { defu } from "defu";
import type { TaleConfig, TaleConfigLayer } from "./types.ts";
import { roles } from "./types.ts";

/**
 * Merges layers given lowest precedence first. Sections merge key by key,
 * but `models.<role>` and `plugins` are taken whole from the highest layer that sets them:
 * defu would concatenate engine lists and blend two engines' fields.
 */
export function mergeLayers(base: TaleConfig, layers: readonly TaleConfigLayer[]): TaleConfig {
  const highestFirst = [...layers].reverse();
  const sections = highestFirst.map(({ models: _models, plugins: _plugins, ...rest }) => rest);
  const merged = defu({}, ...sections, { ...base, models: undefined, plugins: undefined }) as Omit<TaleConfig, "models" | "plugins">;
  // A plugin list is taken whole too: a project that lists plugins means exactly those.
  const plugins = highestFirst.find((layer) => layer.plugins !== undefined)?.plugins ?? base.plugins;
  const models = { ...base.models };
  for (const role of roles) {
    const chosen = highestFirst.find((layer) => layer.models?.[role] !== undefined)?.models?.[role];
    if (chosen !== undefined) models[role] = chosen;
  }
  return { ...merged, models, plugins };
}
