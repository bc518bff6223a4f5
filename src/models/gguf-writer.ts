/**
 * A small GGUF v3 writer: metadata key/values, tensor infos and f32/f16 tensor
 * data, laid out the way llama.cpp reads it. The layout (header bytes and
 * total size) is computed without touching tensor data, so callers can check
 * an existing file against what they would write without generating weights.
 */
import { open, rename, unlink } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { TaleError } from "../errors/index.ts";

/** llama.cpp's default; files that keep it need no `general.alignment` key. */
export const GGUF_ALIGNMENT = 32;
const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const GGUF_VERSION = 3;
/** GGML_MAX_NAME in ggml.h, including the terminating NUL. */
const MAX_TENSOR_NAME_BYTES = 63;

type NumberType = "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "float64";
type BigIntType = "uint64" | "int64";

export type GgufValue =
  | { type: NumberType; value: number }
  | { type: BigIntType; value: bigint }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "array"; itemType: NumberType; value: ArrayLike<number> }
  | { type: "array"; itemType: BigIntType; value: ArrayLike<bigint> }
  | { type: "array"; itemType: "bool"; value: ArrayLike<boolean> }
  | { type: "array"; itemType: "string"; value: ArrayLike<string> };

/** Value constructors, so metadata reads like `{ "llama.block_count": gguf.uint32(2) }`. */
export const gguf = {
  uint8: (value: number): GgufValue => ({ type: "uint8", value }),
  int8: (value: number): GgufValue => ({ type: "int8", value }),
  uint16: (value: number): GgufValue => ({ type: "uint16", value }),
  int16: (value: number): GgufValue => ({ type: "int16", value }),
  uint32: (value: number): GgufValue => ({ type: "uint32", value }),
  int32: (value: number): GgufValue => ({ type: "int32", value }),
  float32: (value: number): GgufValue => ({ type: "float32", value }),
  float64: (value: number): GgufValue => ({ type: "float64", value }),
  uint64: (value: bigint): GgufValue => ({ type: "uint64", value }),
  int64: (value: bigint): GgufValue => ({ type: "int64", value }),
  bool: (value: boolean): GgufValue => ({ type: "bool", value }),
  string: (value: string): GgufValue => ({ type: "string", value }),
  array: {
    numbers: (itemType: NumberType, value: ArrayLike<number>): GgufValue => ({ type: "array", itemType, value }),
    bigints: (itemType: BigIntType, value: ArrayLike<bigint>): GgufValue => ({ type: "array", itemType, value }),
    bools: (value: ArrayLike<boolean>): GgufValue => ({ type: "array", itemType: "bool", value }),
    strings: (value: ArrayLike<string>): GgufValue => ({ type: "array", itemType: "string", value }),
  },
};

/**
 * `dims` are in ggml order: dims[0] is the contiguous (row) dimension, so a
 * matrix that maps n_embd inputs to n_ff outputs has dims [n_embd, n_ff].
 * `fill` gets a zeroed view of exactly the tensor's elements.
 */
export interface GgufTensor {
  name: string;
  dims: readonly number[];
  type: "f32" | "f16";
  /** Receives a Float32Array for f32 tensors and a Float16Array for f16 ones. */
  fill: (target: Float32Array | Float16Array) => void;
}

export interface GgufFile {
  /** Written in insertion order. */
  metadata: Record<string, GgufValue>;
  tensors: readonly GgufTensor[];
}

export interface GgufLayout {
  /** Everything before the tensor data, padding included. */
  header: Uint8Array;
  /** Absolute file offset of each tensor's data, in `tensors` order. */
  tensorOffsets: number[];
  totalBytes: number;
}

const valueTypeIds = {
  uint8: 0, int8: 1, uint16: 2, int16: 3, uint32: 4, int32: 5, float32: 6,
  bool: 7, string: 8, array: 9, uint64: 10, int64: 11, float64: 12,
} as const;

const ggmlTypes = {
  f32: { id: 0, bytes: 4 },
  f16: { id: 1, bytes: 2 },
} as const;

const utf8 = new TextEncoder();

/** Append-only little-endian byte sink that grows as needed. */
class ByteSink {
  private bytes = new Uint8Array(64 * 1024);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private reserve(size: number): number {
    const at = this.length;
    if (at + size > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, at + size));
      grown.set(this.bytes.subarray(0, at));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length += size;
    return at;
  }

  u8(v: number) { this.view.setUint8(this.reserve(1), v); }
  i8(v: number) { this.view.setInt8(this.reserve(1), v); }
  u16(v: number) { this.view.setUint16(this.reserve(2), v, true); }
  i16(v: number) { this.view.setInt16(this.reserve(2), v, true); }
  u32(v: number) { this.view.setUint32(this.reserve(4), v, true); }
  i32(v: number) { this.view.setInt32(this.reserve(4), v, true); }
  f32(v: number) { this.view.setFloat32(this.reserve(4), v, true); }
  f64(v: number) { this.view.setFloat64(this.reserve(8), v, true); }
  u64(v: bigint) { this.view.setBigUint64(this.reserve(8), v, true); }
  i64(v: bigint) { this.view.setBigInt64(this.reserve(8), v, true); }
  raw(b: Uint8Array) { this.bytes.set(b, this.reserve(b.length)); }
  string(s: string) {
    const encoded = utf8.encode(s);
    this.u64(BigInt(encoded.length));
    this.raw(encoded);
  }
  padTo(alignment: number) { this.reserve(alignedSize(this.length, alignment) - this.length); }
  result(): Uint8Array { return this.bytes.slice(0, this.length); }
}

function alignedSize(size: number, alignment: number): number {
  return Math.ceil(size / alignment) * alignment;
}

function writeScalar(sink: ByteSink, type: Exclude<GgufValue["type"], "array">, value: unknown): void {
  switch (type) {
    case "uint8": return sink.u8(value as number);
    case "int8": return sink.i8(value as number);
    case "uint16": return sink.u16(value as number);
    case "int16": return sink.i16(value as number);
    case "uint32": return sink.u32(value as number);
    case "int32": return sink.i32(value as number);
    case "float32": return sink.f32(value as number);
    case "float64": return sink.f64(value as number);
    case "uint64": return sink.u64(value as bigint);
    case "int64": return sink.i64(value as bigint);
    case "bool": return sink.u8(value ? 1 : 0);
    case "string": return sink.string(value as string);
  }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  sink.u32(valueTypeIds[value.type]);
  if (value.type !== "array") return writeScalar(sink, value.type, value.value);
  sink.u32(valueTypeIds[value.itemType]);
  sink.u64(BigInt(value.value.length));
  for (let i = 0; i < value.value.length; i++) writeScalar(sink, value.itemType, value.value[i]);
}

function elementCount(tensor: GgufTensor): number {
  return tensor.dims.reduce((product, dim) => product * dim, 1);
}

function validateTensor(tensor: GgufTensor): void {
  const validDims = tensor.dims.length >= 1 && tensor.dims.length <= 4 && tensor.dims.every((d) => Number.isInteger(d) && d > 0);
  if (!validDims || utf8.encode(tensor.name).length > MAX_TENSOR_NAME_BYTES) {
    throw new TaleError("BAD_REQUEST", `GGUF tensor "${tensor.name}" has an invalid name or shape [${tensor.dims.join(", ")}].`, {
      hint: `Use 1 to 4 positive integer dimensions and a name of at most ${MAX_TENSOR_NAME_BYTES} bytes.`,
    });
  }
}

/** Computes the header bytes and where each tensor goes, without generating tensor data. */
export function layoutGguf(file: GgufFile): GgufLayout {
  const sink = new ByteSink();
  const entries = Object.entries(file.metadata);
  sink.u32(GGUF_MAGIC);
  sink.u32(GGUF_VERSION);
  sink.u64(BigInt(file.tensors.length));
  sink.u64(BigInt(entries.length));
  for (const [key, value] of entries) {
    sink.string(key);
    writeValue(sink, value);
  }
  const relativeOffsets: number[] = [];
  let dataBytes = 0;
  for (const tensor of file.tensors) {
    validateTensor(tensor);
    sink.string(tensor.name);
    sink.u32(tensor.dims.length);
    for (const dim of tensor.dims) sink.u64(BigInt(dim));
    sink.u32(ggmlTypes[tensor.type].id);
    sink.u64(BigInt(dataBytes));
    relativeOffsets.push(dataBytes);
    dataBytes += alignedSize(elementCount(tensor) * ggmlTypes[tensor.type].bytes, GGUF_ALIGNMENT);
  }
  sink.padTo(GGUF_ALIGNMENT);
  const header = sink.result();
  return {
    header,
    tensorOffsets: relativeOffsets.map((offset) => header.length + offset),
    totalBytes: header.length + dataBytes,
  };
}

/** Builds the whole file in memory. Typed-array views assume a little-endian host, as GGUF does. */
export function encodeGguf(file: GgufFile): Uint8Array {
  const layout = layoutGguf(file);
  const buffer = new ArrayBuffer(layout.totalBytes);
  new Uint8Array(buffer).set(layout.header);
  file.tensors.forEach((tensor, index) => {
    const offset = layout.tensorOffsets[index]!;
    const count = elementCount(tensor);
    if (tensor.type === "f32") tensor.fill(new Float32Array(buffer, offset, count));
    else tensor.fill(new Float16Array(buffer, offset, count));
  });
  return new Uint8Array(buffer);
}

/**
 * Writes `bytes` to `path` through a synced temporary file in the same folder
 * and a rename, so readers (and a crash at any point) see either the old file
 * or the complete new one, never a partial file.
 */
export async function writeFileAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const handle = await open(temporary, "w");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw new TaleError("STORAGE", `Could not write ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: "Check that the folder exists, is writable and has free space.",
      cause: error,
    });
  }
}

/** Encodes and atomically writes a GGUF file; returns its size in bytes. */
export async function writeGgufFile(path: string, file: GgufFile): Promise<number> {
  const bytes = encodeGguf(file);
  await writeFileAtomically(path, bytes);
  return bytes.length;
}
