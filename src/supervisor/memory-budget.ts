import { statSync } from "node:fs";
import { TaleError } from "../errors";
import { readGgufShape } from "../models/gguf-header";

/**
 * Admission control for engines: an engine starts only if its estimated
 * memory fits in what the budget has left. The estimate is the model file
 * (weights are mapped whole) plus the KV cache every slot gets at start
 * (node-llama-cpp allocates all sequences of a context up front), plus the
 * runtime itself.
 */
export interface MemoryBudget {
  readonly totalBytes: number;
  usedBytes(): number;
  /** Reserves an engine's share or refuses it with an error that says what to change; returns the release. */
  reserve(engineId: string, bytes: number): () => void;
}

/** A built-in engine process with the runtime loaded and no model: measured at ~120 MB RSS. */
const runtimeBytes = 120 * 1_048_576;
/** KV cache entries are f16. */
const kvBytesPerValue = 2;

export interface BuiltinFootprint {
  modelPath: string;
  contextSize: number;
  slots: number;
}

export function estimateBuiltinBytes(footprint: BuiltinFootprint): number {
  const shape = readGgufShape(footprint.modelPath);
  const kvWidth = (shape.embeddingLength * shape.headCountKv) / shape.headCount;
  const kvPerToken = 2 * shape.blockCount * kvWidth * kvBytesPerValue;
  return runtimeBytes + statSync(footprint.modelPath).size + footprint.contextSize * footprint.slots * kvPerToken;
}

export function createMemoryBudget(totalBytes: number): MemoryBudget {
  const reserved = new Map<string, number>();
  const used = () => [...reserved.values()].reduce((sum, bytes) => sum + bytes, 0);
  return {
    totalBytes,
    usedBytes: used,
    reserve(engineId, bytes) {
      const left = totalBytes - used();
      if (bytes > left) {
        // Not retryable by itself: only a change of config (or another engine stopping) makes room.
        const refusal = new TaleError("CONFIG", `the memory budget has ${mb(left)} left`);
        throw new TaleError("ENGINE_START_FAILED", `Engine ${engineId} needs about ${mb(bytes)} but the memory budget (supervisor.memoryBudgetMb = ${mb(totalBytes)}) has ${mb(left)} left.`, {
          hint: "Raise supervisor.memoryBudgetMb, lower this engine's contextSize or slots, or use a smaller model.",
          cause: refusal,
          details: { neededBytes: bytes, leftBytes: left },
        });
      }
      reserved.set(engineId, bytes);
      return () => reserved.delete(engineId);
    },
  };
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1_048_576)} MB`;
}
