import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, open, readFile, readdir, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaChatSession, LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import { ensureDefaultModels, modelPresets } from "../../src/models/defaults.ts";
import { synthesizeModel, type SynthOptions } from "../../src/models/synth.ts";
import { taleVocabulary } from "../../src/models/tokenizer.ts";
import { Xoshiro128 } from "../../src/models/random-weights.ts";
import { isTaleError } from "../../src/errors/index.ts";

const dir = await mkdtemp(join(tmpdir(), "tale-models-synth-"));
let llama: Llama;
let model: LlamaModel;
const uxPath = join(dir, "ux.gguf");

beforeAll(async () => {
  await synthesizeModel({ preset: "ux", out: uxPath });
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  model = await llama.loadModel({ modelPath: uxPath });
});

afterAll(async () => {
  await model?.dispose();
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function generate(target: LlamaModel, maxTokens: number) {
  const context = await target.createContext({ threads: 2, contextSize: 512 });
  try {
    const sequence = context.getSequence();
    const session = new LlamaChatSession({ contextSequence: sequence });
    const before = sequence.tokenMeter.getState();
    const text = await session.prompt("hello world", { maxTokens });
    return { text, wrapper: session.chatWrapper.wrapperName, usage: sequence.tokenMeter.diff(before) };
  } finally {
    await context.dispose();
  }
}

describe("synthesizeModel", () => {
  test("same options give byte-identical files; another seed gives other weights", async () => {
    const options: SynthOptions = { out: join(dir, "a.gguf"), nEmbd: 32, nLayer: 1, nHead: 2, nFf: 64, seed: 11 };
    const first = await synthesizeModel(options);
    await synthesizeModel({ ...options, out: join(dir, "b.gguf") });
    await synthesizeModel({ ...options, out: join(dir, "c.gguf"), seed: 12 });
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((n) => readFile(join(dir, `${n}.gguf`))));
    expect(a!.equals(b!)).toBe(true);
    expect(a!.equals(c!)).toBe(false);
    expect(c!.length).toBe(a!.length);
    expect(first).toMatchObject({ bytes: a!.length, written: true, nVocab: taleVocabulary().tokens.length, name: "tale-synth-32x1" });
  });

  test("the ux model loads and chats through the ChatML wrapper, emitting only words", async () => {
    const { text, wrapper, usage } = await generate(model, 8);
    expect(wrapper).toBe("ChatML");
    expect(usage.usedOutputTokens).toBeGreaterThan(0);
    expect(usage.usedOutputTokens).toBeLessThanOrEqual(8);
    // The logit bias keeps byte tokens (broken UTF-8, escape codes) out of the output.
    expect(text).toMatch(/^[\x20-\x7e]+$/);
  });

  test("f32 weights and grouped-query attention load and generate too", async () => {
    const out = join(dir, "f32-gqa.gguf");
    await synthesizeModel({ out, nEmbd: 64, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 128, weightType: "f32" });
    const f32Model = await llama.loadModel({ modelPath: out });
    try {
      expect((await generate(f32Model, 3)).usage.usedOutputTokens).toBeGreaterThan(0);
    } finally {
      await f32Model.dispose();
    }
  });

  test("invalid shapes are refused with BAD_REQUEST before anything is written", async () => {
    const out = join(dir, "invalid.gguf");
    for (const bad of [{ nEmbd: 30, nHead: 4 }, { nHead: 4, nHeadKv: 3 }, { nLayer: 0 }, { seed: -1 }, { nEmbd: 2.5 }]) {
      const error = await synthesizeModel({ out, ...bad }).catch((caught: unknown) => caught);
      expect(isTaleError(error) && error.code).toBe("BAD_REQUEST");
    }
    expect(await stat(out).catch(() => null)).toBeNull();
  });
});

describe("tale tokenizer", () => {
  const samples = [
    "hello world",
    "  leading and trailing spaces  ",
    "Tabs\tnew\nlines\r\nand \u0000 control \u001b[31m bytes",
    "Héllo wörld, naïve café — “quotes” …",
    "世界你好，日本語のテキスト，한국어",
    "Привет, мир! مرحبا بالعالم שלום עולם नमस्ते",
    "emoji 🎉👩‍👩‍👧‍👦🏳️‍🌈 and flags 🇫🇷 and skin 👍🏽",
    "e\u0301 combining, zero\u200bwidth, astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "<s></s><|im_start|><0x41> are plain text here",
  ];

  function randomText(rng: Xoshiro128, length: number): string {
    let text = "";
    while (text.length < length) {
      const pick = rng.next();
      // Mostly ASCII, some BMP, some astral; never a lone surrogate.
      const codePoint = pick % 4 === 0 ? 0x10000 + (pick % 0xfffff) : pick % 4 === 1 ? pick % 0xd800 : 0x20 + (pick % 0x5f);
      text += String.fromCodePoint(codePoint);
    }
    return text;
  }

  test("every UTF-8 text round-trips through the loaded model", () => {
    const rng = new Xoshiro128(42);
    const texts = [...samples, ...Array.from({ length: 40 }, () => randomText(rng, 1 + (rng.next() % 60)))];
    for (const text of texts) {
      const tokens = model.tokenize(text);
      expect(model.detokenize(tokens)).toBe(text);
      expect(tokens).not.toContain(taleVocabulary().ids.unk);
    }
  });

  test("common English words are single tokens", () => {
    expect(model.tokenize("hello world").length).toBe(2);
    expect(model.tokenize("The people of the world").length).toBe(5);
  });

  test("the vocabulary is unique, has all byte tokens and every piece's prefixes", () => {
    const { tokens } = taleVocabulary();
    const known = new Set(tokens);
    expect(known.size).toBe(tokens.length);
    for (let byte = 0; byte < 256; byte++) expect(known.has(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`)).toBe(true);
    const normal = tokens.filter((_, id) => taleVocabulary().types[id] === 1);
    for (const piece of normal) {
      const chars = Array.from(piece);
      for (let end = 1; end < chars.length; end++) expect(known.has(chars.slice(0, end).join(""))).toBe(true);
    }
  });
});

describe("ensureDefaultModels", () => {
  const modelsDir = join(dir, "models");

  test("writes both models once, then leaves them alone", async () => {
    const paths = await ensureDefaultModels(modelsDir);
    expect(paths).toEqual({ ux: join(modelsDir, modelPresets.ux.fileName), task: join(modelsDir, modelPresets.task.fileName) });
    const before = await Promise.all([stat(paths.ux), stat(paths.task)]);
    expect(before[1]!.size).toBeGreaterThan(before[0]!.size * 10);

    expect(await ensureDefaultModels(modelsDir)).toEqual(paths);
    const after = await Promise.all([stat(paths.ux), stat(paths.task)]);
    expect(after.map((s) => [s.ino, s.mtimeMs])).toEqual(before.map((s) => [s.ino, s.mtimeMs]));
  });

  test("rewrites a truncated or altered file and leaves no temporary files", async () => {
    const paths = await ensureDefaultModels(modelsDir);
    const expectedUx = await readFile(paths.ux);
    const expectedTaskSize = (await stat(paths.task)).size;

    await truncate(paths.task, 1000);
    const handle = await open(paths.ux, "r+");
    await handle.write(Buffer.from("X"), 0, 1, 200);
    await handle.close();

    await ensureDefaultModels(modelsDir);
    expect((await readFile(paths.ux)).equals(expectedUx)).toBe(true);
    expect((await stat(paths.task)).size).toBe(expectedTaskSize);
    expect((await readdir(modelsDir)).sort()).toEqual([modelPresets.task.fileName, modelPresets.ux.fileName].sort());
  });
});
