/**
 * Synthesizes llama-architecture GGUF models with deterministic random
 * weights and tale's own vocabulary, so tale runs offline with no download.
 * Backs `tale models synth` and the default models.
 */
import { open, stat } from "node:fs/promises";
import { TaleError } from "../errors/index.ts";
import { layoutGguf, writeGgufFile } from "./gguf-writer.ts";
import { llamaGguf, parameterCount, type LlamaDims } from "./llama-gguf.ts";
import { modelPresets, type SynthPreset } from "./presets.ts";
import { taleVocabulary } from "./tokenizer.ts";

export type { SynthPreset } from "./presets.ts";
export type { LlamaDims } from "./llama-gguf.ts";

export interface SynthOptions {
  /** Path of the .gguf file to write; its folder must exist. */
  out: string;
  /** Built-in shape, seed and name to start from; the options below override it. Default "ux". */
  preset?: SynthPreset;
  /** Hidden size (width of the residual stream). Must be a multiple of nHead with an even quotient (RoPE). */
  nEmbd?: number;
  /** Number of transformer blocks. */
  nLayer?: number;
  /** Attention heads. */
  nHead?: number;
  /** Key/value heads for grouped-query attention; must divide nHead. Default: nHead. */
  nHeadKv?: number;
  /** Hidden size of the feed-forward (SwiGLU) layers. */
  nFf?: number;
  /** Training context length written into the file; an engine may use less. */
  contextLength?: number;
  /** PRNG seed, an unsigned 32-bit integer. The same options always give a byte-identical file. */
  seed?: number;
  /** `general.name`, the model id engines report. Default: the preset's name, or one built from the dims when they differ. */
  name?: string;
  /** Storage type of the weight matrices. "f16" (default) halves the file; norm vectors are always f32. */
  weightType?: "f16" | "f32";
  /** Keep `out` untouched when it already holds exactly this model (same size and header bytes). */
  reuseExisting?: boolean;
}

export interface SynthResult {
  path: string;
  bytes: number;
  /** False when `reuseExisting` found the file already up to date. */
  written: boolean;
  elapsedMs: number;
  name: string;
  dims: LlamaDims;
  seed: number;
  nVocab: number;
  parameters: number;
}

interface ResolvedSynth {
  name: string;
  dims: LlamaDims;
  seed: number;
  weightType: "f16" | "f32";
}

/** The writer builds the file in memory; refuse shapes that would not fit comfortably. */
const MAX_FILE_BYTES = 2 * 1024 ** 3;

function invalid(message: string): TaleError {
  return new TaleError("BAD_REQUEST", message, {
    hint: "Pick dims like --n-embd 256 --n-layer 4 --n-head 4 --n-ff 768, or use --preset ux|task.",
  });
}

function resolveSynthOptions(options: SynthOptions): ResolvedSynth {
  const preset = modelPresets[options.preset ?? "ux"];
  if (!preset) throw invalid(`Unknown preset "${options.preset}"; use ux or task.`);
  const dims: LlamaDims = {
    nEmbd: options.nEmbd ?? preset.dims.nEmbd,
    nLayer: options.nLayer ?? preset.dims.nLayer,
    nHead: options.nHead ?? preset.dims.nHead,
    // A new head count invalidates the preset's grouping, so default to plain multi-head attention.
    nHeadKv: options.nHeadKv ?? (options.nHead === undefined ? preset.dims.nHeadKv : options.nHead),
    nFf: options.nFf ?? preset.dims.nFf,
    contextLength: options.contextLength ?? preset.dims.contextLength,
  };
  for (const [key, value] of Object.entries(dims)) {
    if (!Number.isSafeInteger(value) || value < 1) throw invalid(`${key} must be a positive integer, got ${value}.`);
  }
  if (dims.nEmbd % dims.nHead !== 0 || (dims.nEmbd / dims.nHead) % 2 !== 0) {
    throw invalid(`nEmbd (${dims.nEmbd}) must be nHead (${dims.nHead}) times an even head size.`);
  }
  if (dims.nHead % dims.nHeadKv !== 0) throw invalid(`nHeadKv (${dims.nHeadKv}) must divide nHead (${dims.nHead}).`);
  const seed = options.seed ?? preset.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw invalid(`seed must be an unsigned 32-bit integer, got ${seed}.`);
  const sameShape = (Object.keys(dims) as (keyof LlamaDims)[]).every((key) => dims[key] === preset.dims[key]);
  const name = options.name ?? (sameShape ? preset.name : `tale-synth-${dims.nEmbd}x${dims.nLayer}`);
  return { name, dims, seed, weightType: options.weightType ?? "f16" };
}

async function holdsExactly(path: string, expected: { header: Uint8Array; totalBytes: number }): Promise<boolean> {
  const size = await stat(path).then((s) => s.size, () => -1);
  if (size !== expected.totalBytes) return false;
  const handle = await open(path, "r");
  try {
    const actual = new Uint8Array(expected.header.length);
    const { bytesRead } = await handle.read(actual, 0, actual.length, 0);
    return bytesRead === actual.length && Buffer.compare(actual, expected.header) === 0;
  } finally {
    await handle.close();
  }
}

/** Writes (atomically) a llama GGUF with random weights as described by `options`. */
export async function synthesizeModel(options: SynthOptions): Promise<SynthResult> {
  const started = performance.now();
  const resolved = resolveSynthOptions(options);
  const file = llamaGguf(resolved);
  const layout = layoutGguf(file);
  if (layout.totalBytes > MAX_FILE_BYTES) {
    throw invalid(`That shape makes a ${(layout.totalBytes / 1024 ** 3).toFixed(1)} GiB file; the synthesizer stops at 2 GiB.`);
  }
  const reuse = options.reuseExisting === true && (await holdsExactly(options.out, layout));
  const bytes = reuse ? layout.totalBytes : await writeGgufFile(options.out, file);
  return {
    path: options.out,
    bytes,
    written: !reuse,
    elapsedMs: performance.now() - started,
    name: resolved.name,
    dims: resolved.dims,
    seed: resolved.seed,
    nVocab: taleVocabulary().tokens.length,
    parameters: parameterCount(file),
  };
}
