import { closeSync, openSync, readSync } from "node:fs";
import { TaleError } from "../errors";

/** The shape of a llama-family model, read from its GGUF metadata without loading it. */
export interface GgufShape {
  architecture: string;
  blockCount: number;
  embeddingLength: number;
  headCount: number;
  headCountKv: number;
}

const enum ValueType {
  U8 = 0, I8, U16, I16, U32, I32, F32, Bool, String, Array, U64, I64, F64,
}
const fixedSizes: Partial<Record<ValueType, number>> = {
  [ValueType.U8]: 1, [ValueType.I8]: 1, [ValueType.Bool]: 1, [ValueType.U16]: 2, [ValueType.I16]: 2,
  [ValueType.U32]: 4, [ValueType.I32]: 4, [ValueType.F32]: 4, [ValueType.U64]: 8, [ValueType.I64]: 8, [ValueType.F64]: 8,
};

/**
 * Reads the key/value metadata at the head of a GGUF file (version 2 or 3),
 * streaming past large arrays such as the vocabulary, and returns the few
 * numbers that size a model's KV cache.
 */
export function readGgufShape(path: string): GgufShape {
  const reader = new FileCursor(path);
  try {
    if (reader.bytes(4).toString("latin1") !== "GGUF") throw new Error("not a GGUF file");
    const version = reader.u32();
    if (version < 2) throw new Error(`GGUF version ${version} is too old`);
    reader.u64();
    const count = Number(reader.u64());
    const values = new Map<string, number | string>();
    for (let index = 0; index < count; index++) {
      const key = reader.string();
      const type = reader.u32() as ValueType;
      const value = reader.value(type);
      if (value !== undefined) values.set(key, value);
    }
    const architecture = String(values.get("general.architecture") ?? "llama");
    const number = (name: string, fallback?: number) => {
      const found = values.get(`${architecture}.${name}`);
      if (typeof found === "number") return found;
      if (fallback !== undefined) return fallback;
      throw new Error(`metadata ${architecture}.${name} is missing`);
    };
    const headCount = number("attention.head_count");
    return {
      architecture,
      blockCount: number("block_count"),
      embeddingLength: number("embedding_length"),
      headCount,
      headCountKv: number("attention.head_count_kv", headCount),
    };
  } catch (error) {
    if (error instanceof TaleError) throw error;
    throw new TaleError("MODEL_NOT_FOUND", `Cannot read the GGUF metadata of ${path}: ${(error as Error).message}.`, {
      hint: "Check that the file is a complete GGUF model.",
      cause: error,
    });
  } finally {
    reader.close();
  }
}

/** Sequential reads through a file with a small buffer, so a 30 MB vocabulary costs no memory. */
class FileCursor {
  private readonly fd: number;
  private buffer = Buffer.alloc(0);
  private offset = 0;
  private position = 0;

  constructor(path: string) {
    this.fd = openSync(path, "r");
  }

  close(): void {
    closeSync(this.fd);
  }

  bytes(length: number): Buffer {
    this.fill(length);
    const slice = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  skip(length: number): void {
    const buffered = this.buffer.length - this.offset;
    if (length <= buffered) {
      this.offset += length;
      return;
    }
    this.position += length - buffered;
    this.buffer = Buffer.alloc(0);
    this.offset = 0;
  }

  u32(): number {
    return this.bytes(4).readUInt32LE(0);
  }

  u64(): bigint {
    return this.bytes(8).readBigUInt64LE(0);
  }

  string(): string {
    return this.bytes(Number(this.u64())).toString("utf8");
  }

  /** Numbers and strings are returned; arrays are skipped. */
  value(type: ValueType): number | string | undefined {
    if (type === ValueType.String) return this.string();
    if (type === ValueType.Array) {
      const itemType = this.u32() as ValueType;
      const length = Number(this.u64());
      const size = fixedSizes[itemType];
      if (size !== undefined) this.skip(size * length);
      else for (let index = 0; index < length; index++) this.value(itemType);
      return undefined;
    }
    const bytes = this.bytes(fixedSizes[type] ?? Number.NaN);
    switch (type) {
      case ValueType.U8: return bytes.readUInt8(0);
      case ValueType.I8: return bytes.readInt8(0);
      case ValueType.Bool: return bytes.readUInt8(0);
      case ValueType.U16: return bytes.readUInt16LE(0);
      case ValueType.I16: return bytes.readInt16LE(0);
      case ValueType.U32: return bytes.readUInt32LE(0);
      case ValueType.I32: return bytes.readInt32LE(0);
      case ValueType.F32: return bytes.readFloatLE(0);
      case ValueType.U64: return Number(bytes.readBigUInt64LE(0));
      case ValueType.I64: return Number(bytes.readBigInt64LE(0));
      case ValueType.F64: return bytes.readDoubleLE(0);
      default: throw new Error(`unknown metadata type ${type}`);
    }
  }

  private fill(length: number): void {
    if (Number.isNaN(length)) throw new Error("unknown metadata type");
    if (this.buffer.length - this.offset >= length) return;
    const rest = this.buffer.subarray(this.offset);
    const chunk = Buffer.alloc(Math.max(length, 1 << 16));
    const read = readSync(this.fd, chunk, 0, chunk.length, this.position);
    this.position += read;
    this.buffer = Buffer.concat([rest, chunk.subarray(0, read)]);
    this.offset = 0;
    if (this.buffer.length < length) throw new Error("the file ends inside its metadata");
  }
}
