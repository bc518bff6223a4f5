import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufShape } from "../../src/models/gguf-header";
import { synthesizeModel } from "../../src/models/synth";
import { createMemoryBudget, estimateBuiltinBytes } from "../../src/supervisor/memory-budget";
import { hasSharedModel, sharedModel } from "../helpers/tale";

const dir = mkdtempSync(join(tmpdir(), "tale-budget-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mb = 1_048_576;

describe("engine memory budget", () => {
  test("the GGUF shape is read from the metadata, past the vocabulary", async () => {
    const model = await synthesizeModel({ out: join(dir, "m.gguf"), nEmbd: 96, nLayer: 3, nHead: 6, nHeadKv: 2, nFf: 128 });
    expect(readGgufShape(model.path)).toEqual({ architecture: "llama", blockCount: 3, embeddingLength: 96, headCount: 6, headCountKv: 2 });
    if (hasSharedModel) expect(readGgufShape(sharedModel)).toMatchObject({ architecture: "llama", blockCount: 1, embeddingLength: 8 });
  });

  test("the estimate grows with the context and slots by the KV cache size", async () => {
    const model = await synthesizeModel({ out: join(dir, "kv.gguf"), nEmbd: 64, nLayer: 2, nHead: 4, nFf: 128 });
    const one = estimateBuiltinBytes({ modelPath: model.path, contextSize: 1024, slots: 1 });
    const four = estimateBuiltinBytes({ modelPath: model.path, contextSize: 1024, slots: 4 });
    // K and V, 2 layers, 64 wide, 2 bytes each: 512 bytes per token per slot.
    expect(four - one).toBe(3 * 1024 * 512);
    expect(one).toBeGreaterThan(model.bytes);
  });

  test("an engine that does not fit is refused with what to change, and released room is reused", () => {
    const budget = createMemoryBudget(300 * mb);
    const releaseUx = budget.reserve("ux-0", 130 * mb);
    expect(budget.usedBytes()).toBe(130 * mb);
    const refusal = (() => {
      try {
        budget.reserve("task-0", 200 * mb);
      } catch (error) {
        return error as { code: string; message: string; hint: string; cause: { retryable: boolean } };
      }
    })();
    expect(refusal?.code).toBe("ENGINE_START_FAILED");
    expect(refusal?.message).toContain("needs about 200 MB");
    expect(refusal?.message).toContain("170 MB left");
    expect(refusal?.hint).toContain("supervisor.memoryBudgetMb");
    // A restart alone cannot make room, so the supervisor opens the circuit at once instead of crash-looping.
    expect(refusal?.cause.retryable).toBe(false);
    releaseUx();
    budget.reserve("task-0", 200 * mb);
    expect(budget.usedBytes()).toBe(200 * mb);
  });
});
