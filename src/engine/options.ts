import { availableParallelism } from "node:os";
import { basename, extname, resolve } from "node:path";

/** Everything one engine process needs; the CLI flags map onto these one to one. */
export interface EngineOptions {
  /** Absolute path of the GGUF file. */
  modelPath: string;
  /** Model id reported by /v1/models and in responses. */
  name: string;
  /** 0 picks a free port. */
  port: number;
  /** CPU threads for evaluation. */
  threads: number;
  /** Requests served at once; more wait in a FIFO queue. */
  slots: number;
  /** Tokens of context per slot (clamped to the model's training context). */
  contextSize: number;
  /** Tokens generated when a request sets no max_tokens. */
  maxTokens: number;
  /** What clients must send as `Authorization: Bearer <key>`. */
  apiKey: string;
}

export type EngineOptionsInput = Pick<EngineOptions, "modelPath" | "apiKey"> & Partial<Omit<EngineOptions, "modelPath" | "apiKey">>;

export const engineDefaults = {
  port: 0,
  slots: 2,
  contextSize: 2048,
  maxTokens: 512,
} as const;

/**
 * Fills in defaults. Threads always get an explicit number: node-llama-cpp's
 * own CPU default (at least 4) oversubscribes small machines and made
 * generation about 100x slower on 2 cores.
 */
export function defineEngineOptions(input: EngineOptionsInput): EngineOptions {
  const modelPath = resolve(input.modelPath);
  return {
    modelPath,
    name: input.name ?? basename(modelPath, extname(modelPath)),
    port: input.port ?? engineDefaults.port,
    threads: input.threads ?? availableParallelism(),
    slots: input.slots ?? engineDefaults.slots,
    contextSize: input.contextSize ?? engineDefaults.contextSize,
    maxTokens: input.maxTokens ?? engineDefaults.maxTokens,
    apiKey: input.apiKey,
  };
}
