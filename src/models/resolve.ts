import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { EngineConfig, Role, TaleConfig } from "../config/types";
import { roles } from "../config/types";
import { TaleError } from "../errors";
import { ensureDefaultModels } from "./defaults";

/**
 * Turns the configured engines into ones the supervisor can start: lists per
 * role, "default" replaced by the generated offline models, and every model
 * file checked up front so a typo is reported before any engine starts.
 */
export async function resolveEngineModels(config: TaleConfig, modelsDir: string): Promise<Record<Role, EngineConfig[]>> {
  const engines = Object.fromEntries(roles.map((role) => [role, ([] as EngineConfig[]).concat(config.models[role])])) as Record<Role, EngineConfig[]>;
  const needsDefaults = roles.some((role) => engines[role].some((engine) => engine.engine === "builtin" && engine.model === "default"));
  const defaults = needsDefaults ? await ensureDefaultModels(modelsDir) : undefined;
  for (const role of roles) {
    engines[role] = engines[role].map((engine, index) => {
      if (engine.engine !== "builtin") return engine;
      const model = engine.model === "default" ? defaults![role] : engine.model;
      checkModelFile(model, `models.${role}${engines[role].length > 1 ? `[${index}]` : ""}.model`);
      return { ...engine, model };
    });
  }
  return engines;
}

export function checkModelFile(path: string, key: string): void {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw Object.assign(new Error("not a file"), { code: "EISDIR" });
    size = stat.size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TaleError("MODEL_NOT_FOUND", `Model file ${path} (${key}) ${code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is not a file" : "cannot be read"}.`, {
      hint: `Fix ${key} in your tale config to point at a .gguf file, download one with \`tale models pull <url>\`, or use "default" for the built-in offline model.`,
    });
  }
  const magic = Buffer.alloc(4);
  try {
    const fd = openSync(path, "r");
    readSync(fd, magic, 0, 4, 0);
    closeSync(fd);
  } catch {
    throw new TaleError("MODEL_NOT_FOUND", `Model file ${path} (${key}) cannot be read.`, {
      hint: "Check the file's permissions: the user running tale must be able to read it.",
    });
  }
  if (size < 4 || magic.toString("latin1") !== "GGUF") {
    throw new TaleError("MODEL_NOT_FOUND", `Model file ${path} (${key}) is not a GGUF model.`, {
      hint: "The built-in engine serves GGUF files; convert the model or use a GGUF download, e.g. `tale models pull hf:<user>/<repo>/<file>.gguf`.",
    });
  }
}
