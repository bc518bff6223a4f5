import { loadConfig, SUPPORTED_EXTENSIONS } from "c12";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { TaleError } from "../errors/index.ts";
import type { ConfigLayer } from "./layer.ts";

export interface FileLayerOptions {
  /** Folder searched for the files. */
  dir: string;
  /**
   * Base name without extension: c12 tries .ts, .json, .jsonc, .yaml, ...
   * An absolute path keeps c12 from falling back to a same-named file or
   * package relative to the process's working directory.
   */
  configFile: string;
  /** An rc file (`key.path=value` lines) in the same folder, or false. */
  rcFile: string | false;
}

function fileLayer(file: string, values: unknown): ConfigLayer {
  return { source: file, file, baseDir: dirname(file), fix: `Edit ${file}.`, values };
}

/** The file c12 was reading when it failed, found the way c12 looks for it, so the error can name it. */
function configFileIn(dir: string, configFile: string): string {
  const candidates = SUPPORTED_EXTENSIONS.map((extension) => resolve(dir, configFile + extension));
  return candidates.find((candidate) => existsSync(candidate)) ?? resolve(dir, configFile);
}

function syntaxHint(file: string): string {
  return file.endsWith(".json")
    ? `Fix the JSON syntax in ${file} (common slips: a comma after the last item, a key without double quotes).`
    : `Fix the error in ${file}.`;
}

/**
 * Reads the config file and rc file of one folder, lowest precedence first
 * (c12 lets the config file win over the rc file). Layers are returned
 * unmerged so each can be validated and have its paths resolved on its own.
 */
export async function readFileLayers(options: FileLayerOptions): Promise<ConfigLayer[]> {
  let loaded: Awaited<ReturnType<typeof loadConfig>>;
  try {
    loaded = await loadConfig({
      name: "tale",
      cwd: options.dir,
      configFile: options.configFile,
      rcFile: options.rcFile,
      globalRc: false,
      dotenv: false,
      packageJson: false,
      // tale documents neither `$production`-style sections nor `extends`; they would only hide typos.
      envName: false,
      extend: false,
    });
  } catch (error) {
    const file = configFileIn(options.dir, options.configFile);
    throw new TaleError("CONFIG", `Could not read config file ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: syntaxHint(file),
      details: { file },
      cause: error,
    });
  }
  const layers: ConfigLayer[] = [];
  if (options.rcFile) {
    const rcPath = join(options.dir, options.rcFile);
    const rc = loaded.layers?.find((layer) => layer.configFile === options.rcFile);
    if (existsSync(rcPath) && rc) layers.push(fileLayer(rcPath, rc.config));
  }
  if (loaded._configFile) {
    const main = loaded.layers?.find((layer) => layer.configFile === options.configFile);
    layers.push(fileLayer(loaded._configFile, main?.config));
  }
  return layers;
}
