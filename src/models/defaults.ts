/**
 * The two generated models tale runs on when no model is configured
 * (`model: "default"`), so `tale submit "hello world"` works offline with no setup.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Role } from "../config/types.ts";
import { TaleError } from "../errors/index.ts";
import { modelPresets } from "./presets.ts";
import { synthesizeModel } from "./synth.ts";

export { modelPresets, type ModelPreset, type SynthPreset } from "./presets.ts";

/** Path of each role's default model inside `dir`. */
export function defaultModelPaths(dir: string): Record<Role, string> {
  return { ux: join(dir, modelPresets.ux.fileName), task: join(dir, modelPresets.task.fileName) };
}

/**
 * Writes the default models into `dir` unless they are already there with the
 * exact size and header this version of tale generates (a stale or damaged
 * file is rewritten). Writes are atomic, so concurrent callers are safe.
 */
export async function ensureDefaultModels(dir: string): Promise<Record<Role, string>> {
  await mkdir(dir, { recursive: true }).catch((error: unknown) => {
    throw new TaleError("STORAGE", `Could not create the model folder ${dir}.`, {
      hint: "Check that TALE_HOME points to a writable folder.",
      cause: error,
    });
  });
  const paths = defaultModelPaths(dir);
  // One after the other: each model is built in memory before it is written.
  await synthesizeModel({ preset: "ux", out: paths.ux, reuseExisting: true });
  await synthesizeModel({ preset: "task", out: paths.task, reuseExisting: true });
  return paths;
}
