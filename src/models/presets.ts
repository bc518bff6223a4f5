/**
 * The built-in model shapes. `ux` answers fast on a small CPU; `task` costs
 * about ten times as much per generated token (measured with node-llama-cpp
 * on one CPU thread: ~4,300 vs ~410 tokens/s), so scheduling and role routing
 * behave like they would with a real small/large pair.
 */
import type { LlamaDims } from "./llama-gguf.ts";

export type SynthPreset = "ux" | "task";

export interface ModelPreset {
  /** `general.name` in the file, and the model id an engine reports. */
  name: string;
  /** File name used by ensureDefaultModels. */
  fileName: string;
  dims: LlamaDims;
  seed: number;
}

export const modelPresets: Record<SynthPreset, ModelPreset> = {
  ux: {
    name: "tale-ux-tiny",
    fileName: "tale-ux-tiny.gguf",
    dims: { nEmbd: 64, nLayer: 2, nHead: 4, nHeadKv: 4, nFf: 192, contextLength: 2048 },
    seed: 0x7a1e_0001,
  },
  task: {
    name: "tale-task-small",
    fileName: "tale-task-small.gguf",
    dims: { nEmbd: 384, nLayer: 9, nHead: 6, nHeadKv: 6, nFf: 1024, contextLength: 4096 },
    seed: 0x7a1e_0002,
  },
};
