import { join, resolve } from "node:path";
import * as v from "valibot";
import { TaleError } from "../errors/index.ts";
import { createDefaultConfig } from "./defaults.ts";
import { readEnvLayers } from "./env-layers.ts";
import { readFileLayers } from "./file-layers.ts";
import { describeIssues } from "./issues.ts";
import type { ConfigLayer } from "./layer.ts";
import { mergeLayers } from "./merge.ts";
import { resolveModelPaths } from "./model-paths.ts";
import { taleConfigLayerSchema, taleConfigSchema } from "./schema.ts";
import type { DeepPartial, TaleConfig, TaleConfigLayer } from "./types.ts";

export interface LoadTaleConfigOptions {
  /** Folder searched for `tale.config.*` and `.talerc`; default: the process's working directory. */
  cwd?: string;
  /** TALE_HOME: holds the user's `config.json` or `config.ts`. */
  home: string;
  /** Command-line flags; the highest layer. Validated like a file, so an engine entry must be whole. */
  overrides?: DeepPartial<TaleConfig>;
  /** Default: process.env. */
  env?: Record<string, string | undefined>;
}

export interface LoadedConfig {
  config: TaleConfig;
  /** Files that contributed, lowest precedence first. */
  sources: string[];
}

function invalid(source: string, problems: ReturnType<typeof describeIssues>, fix: string): TaleError {
  return new TaleError("CONFIG", `Invalid config in ${source}: ${problems.map((problem) => problem.text).join("; ")}`, {
    hint: problems.find((problem) => problem.hint)?.hint ?? fix,
    details: { source, keys: problems.map((problem) => problem.key) },
  });
}

/** Each layer is checked on its own, so an error names the file or variable that holds the mistake. */
function checkLayer(layer: ConfigLayer): TaleConfigLayer {
  if (typeof layer.values !== "object" || layer.values === null || Array.isArray(layer.values)) {
    const found = Array.isArray(layer.values) ? "a list" : JSON.stringify(layer.values);
    throw invalid(layer.source, [{ key: "", text: `the configuration must be an object of settings (found ${found})` }], layer.fix);
  }
  const result = v.safeParse(taleConfigLayerSchema, layer.values);
  if (!result.success) throw invalid(layer.source, describeIssues(result.issues, layer.values), layer.fix);
  return resolveModelPaths(result.output, layer.baseDir);
}

/**
 * Layers, lowest first: built-in defaults, `<home>/config.{json,ts}`, the
 * project's `.talerc` and `tale.config.*` in `cwd`, TALE_* environment
 * variables, then `overrides`.
 */
export async function loadTaleConfig(options: LoadTaleConfigOptions): Promise<LoadedConfig> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const home = resolve(options.home);
  const layers: ConfigLayer[] = [
    ...(await readFileLayers({ dir: home, configFile: join(home, "config"), rcFile: false })),
    ...(await readFileLayers({ dir: cwd, configFile: "tale.config", rcFile: ".talerc" })),
    ...readEnvLayers(options.env ?? process.env, cwd),
    ...(options.overrides
      ? [{ source: "command-line options", baseDir: cwd, fix: "Correct the command-line option.", values: options.overrides }]
      : []),
  ];
  const merged = mergeLayers(createDefaultConfig(), layers.map(checkLayer));
  // Valid layers over valid defaults always pass; a failure here is a bug in tale, not the user's mistake.
  const config = v.parse(taleConfigSchema, merged);
  return { config, sources: layers.flatMap((layer) => (layer.file ? [layer.file] : [])) };
}
