import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { gguf, layoutGguf, writeGgufFile, GGUF_ALIGNMENT, type GgufFile } from "../../src/models/gguf-writer.ts";
import { fillNormal, seedFor } from "../../src/models/random-weights.ts";
import { isTaleError } from "../../src/errors/index.ts";

const dir = await mkdtemp(join(tmpdir(), "tale-gguf-writer-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

const sample: GgufFile = {
  metadata: {
    "general.architecture": gguf.string("llama"),
    "test.u8": gguf.uint8(200),
    "test.i8": gguf.int8(-5),
    "test.u16": gguf.uint16(65_000),
    "test.i16": gguf.int16(-30_000),
    "test.u32": gguf.uint32(4_000_000_000),
    "test.i32": gguf.int32(-2_000_000_000),
    "test.f32": gguf.float32(0.5),
    "test.f64": gguf.float64(1 / 3),
    "test.u64": gguf.uint64(2n ** 40n),
    "test.i64": gguf.int64(-(2n ** 40n)),
    "test.flag": gguf.bool(true),
    "test.text": gguf.string("héllo 🌍"),
    "test.ints": gguf.array.numbers("int32", [1, -2, 3]),
    "test.floats": gguf.array.numbers("float32", [0.25, -1.5]),
    "test.words": gguf.array.strings(["a", "ünï", ""]),
    "test.flags": gguf.array.bools([true, false]),
  },
  tensors: [
    { name: "matrix", dims: [3, 2], type: "f32", fill: (t) => t.set([0, 1, 2, 3, 4, 5]) },
    { name: "halves", dims: [5], type: "f16", fill: (t) => t.set([0.5, -2, 1024, 0.1, 65504]) },
  ],
};

describe("GGUF writer", () => {
  test("writes metadata and tensors that node-llama-cpp's parser reads back", async () => {
    const path = join(dir, "sample.gguf");
    const bytes = await writeGgufFile(path, sample);
    const info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
    const meta = info.metadata as unknown as { test: Record<string, unknown> };

    expect(info.version).toBe(3);
    expect(meta.test).toEqual({
      u8: 200, i8: -5, u16: 65_000, i16: -30_000, u32: 4_000_000_000, i32: -2_000_000_000,
      f32: 0.5, f64: 1 / 3, u64: 2n ** 40n, i64: -(2n ** 40n), flag: true, text: "héllo 🌍",
      ints: [1, -2, 3], floats: [0.25, -1.5], words: ["a", "ünï", ""], flags: [true, false],
    });
    expect(info.tensorInfo?.map((t) => [t.name, t.dimensions.map(Number), t.ggmlType])).toEqual([
      ["matrix", [3, 2], 0],
      ["halves", [5], 1],
    ]);

    const file = await readFile(path);
    expect(file.length).toBe(bytes);
    const dataStart = info.infoEndOffset!;
    expect(dataStart % GGUF_ALIGNMENT).toBe(0);
    const offsets = info.tensorInfo!.map((t) => dataStart + Number(t.offset));
    for (const offset of offsets) expect(offset % GGUF_ALIGNMENT).toBe(0);
    expect([...new Float32Array(file.buffer, file.byteOffset + offsets[0]!, 6)]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...new Float16Array(file.buffer.slice(file.byteOffset + offsets[1]!, file.byteOffset + offsets[1]! + 10))]).toEqual([
      0.5, -2, 1024, Math.f16round(0.1), 65504,
    ]);
  });

  test("layout matches the written header and size without generating data", async () => {
    let filled = 0;
    const counting: GgufFile = { ...sample, tensors: sample.tensors.map((t) => ({ ...t, fill: () => void filled++ })) };
    const layout = layoutGguf(counting);
    expect(filled).toBe(0);
    const path = join(dir, "layout.gguf");
    expect(await writeGgufFile(path, counting)).toBe(layout.totalBytes);
    expect(filled).toBe(2);
    const written = await readFile(path);
    expect(Buffer.compare(written.subarray(0, layout.header.length), layout.header)).toBe(0);
  });

  test("rejects tensor names llama.cpp cannot hold and shapes with zero dims", () => {
    const tooLong: GgufFile = { metadata: {}, tensors: [{ name: "x".repeat(64), dims: [1], type: "f32", fill: () => {} }] };
    const empty: GgufFile = { metadata: {}, tensors: [{ name: "empty", dims: [0], type: "f32", fill: () => {} }] };
    for (const file of [tooLong, empty]) {
      let error: unknown;
      try {
        layoutGguf(file);
      } catch (caught) {
        error = caught;
      }
      expect(isTaleError(error) && error.code).toBe("BAD_REQUEST");
    }
  });

  test("a failed write reports STORAGE and leaves no temporary file", async () => {
    const missing = join(dir, "missing-folder", "model.gguf");
    const error = await writeGgufFile(missing, sample).catch((caught: unknown) => caught);
    expect(isTaleError(error) && error.code).toBe("STORAGE");
    expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});

describe("random weights", () => {
  test("the same seed gives the same bits; other seeds and labels differ", () => {
    const fill = (seed: number) => {
      const values = new Float16Array(4096);
      fillNormal(values, { seed, std: 0.02 });
      return Buffer.from(values.buffer);
    };
    expect(fill(7).equals(fill(7))).toBe(true);
    expect(fill(7).equals(fill(8))).toBe(false);
    expect(seedFor(1, "blk.0.attn_q.weight")).not.toBe(seedFor(1, "blk.0.attn_k.weight"));
    expect(seedFor(1, "output.weight")).not.toBe(seedFor(2, "output.weight"));
  });

  test("values are centred with the requested spread, in f32 and f16 alike", () => {
    const wide = new Float32Array(200_000);
    const half = new Float16Array(200_000);
    fillNormal(wide, { seed: 3, std: 0.02 });
    fillNormal(half, { seed: 3, std: 0.02 });
    const mean = wide.reduce((sum, v) => sum + v, 0) / wide.length;
    const std = Math.sqrt(wide.reduce((sum, v) => sum + (v - mean) ** 2, 0) / wide.length);
    expect(Math.abs(mean)).toBeLessThan(0.0005);
    expect(std).toBeGreaterThan(0.0195);
    expect(std).toBeLessThan(0.0205);
    expect(Math.max(...wide.map(Math.abs))).toBeLessThan(0.02 * 3.5);
    expect(half[12345]).toBe(Math.f16round(wide[12345]!));
  });
});
