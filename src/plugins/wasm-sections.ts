/**
 * Reads the parts of a WebAssembly binary that decide whether tale may run
 * it: imports, exports and memories. It walks the section headers only (no
 * compile, no instantiation), so it costs microseconds and runs in the daemon
 * before any plugin code is near a process.
 */
export type ExternKind = "function" | "table" | "memory" | "global" | "tag";

export interface WasmImport {
  module: string;
  name: string;
  kind: ExternKind;
}

export interface WasmExport {
  name: string;
  kind: ExternKind;
  index: number;
}

export interface WasmMemory {
  minPages: number;
  /** null when the module sets no maximum: it may grow until the host runs out. */
  maxPages: number | null;
  shared: boolean;
  /** Declared in the import section rather than by the module itself. */
  imported: boolean;
  exported: boolean;
}

export interface WasmModuleInfo {
  imports: WasmImport[];
  exports: WasmExport[];
  /** In index order: imported memories first, as the spec numbers them. */
  memories: WasmMemory[];
}

/** Why a binary could not be read; the caller turns it into a user-facing error. */
export class WasmFormatError extends Error {
  constructor(
    message: string,
    readonly reason: "not-wasm" | "unsupported-version" | "truncated" | "malformed",
  ) {
    super(message);
  }
}

const magic = [0x00, 0x61, 0x73, 0x6d];
const coreVersion = 1;
const sectionNames: Record<number, string> = {
  0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
  7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "data count", 13: "tag",
};
const externKinds: ExternKind[] = ["function", "table", "memory", "global", "tag"];

export function readWasmModule(bytes: Uint8Array): WasmModuleInfo {
  if (bytes.length < 8) {
    const prefixMatches = [...bytes].every((byte, index) => index >= magic.length || byte === magic[index]);
    if (prefixMatches && bytes.length > 0) throw new WasmFormatError(`it ends after ${bytes.length} bytes, inside the 8-byte header`, "truncated");
    throw new WasmFormatError(bytes.length === 0 ? "it is empty" : `it does not start with the WebAssembly magic bytes (00 61 73 6d)`, "not-wasm");
  }
  if (!magic.every((byte, index) => bytes[index] === byte)) {
    throw new WasmFormatError(`it does not start with the WebAssembly magic bytes 00 61 73 6d (it starts with ${hex(bytes.subarray(0, 4))})`, "not-wasm");
  }
  const version = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (version !== coreVersion) {
    // Components share the magic but use another version/layer word.
    throw new WasmFormatError(`it is WebAssembly binary version 0x${version.toString(16)}, not a version 1 core module (a component or a future format)`, "unsupported-version");
  }

  const info: WasmModuleInfo = { imports: [], exports: [], memories: [] };
  const reader = new ByteReader(bytes, 8);
  while (!reader.done()) {
    const id = reader.byte("section id");
    const size = reader.u32("section size");
    const name = sectionNames[id];
    if (name === undefined) throw new WasmFormatError(`it has an unknown section id ${id} at byte ${reader.offset - 1}`, "malformed");
    if (reader.remaining() < size) {
      throw new WasmFormatError(`its ${name} section needs ${size} bytes but the file ends after ${reader.remaining()}`, "truncated");
    }
    const section = reader.slice(size, name);
    if (id === 2) readImports(section, info);
    else if (id === 5) readMemories(section, info);
    else if (id === 7) readExports(section, info);
  }
  for (const entry of info.exports) {
    const memory = entry.kind === "memory" ? info.memories[entry.index] : undefined;
    if (memory) memory.exported = true;
  }
  return info;
}

function readImports(reader: ByteReader, info: WasmModuleInfo): void {
  const count = reader.u32("import count");
  for (let i = 0; i < count; i++) {
    const module = reader.name("import module");
    const name = reader.name("import name");
    const kindByte = reader.byte("import kind");
    const kind = externKinds[kindByte];
    if (!kind) throw new WasmFormatError(`import ${module}.${name} has an unknown kind ${kindByte}`, "malformed");
    if (kind === "function") reader.u32("type index");
    else if (kind === "table") {
      reader.byte("table element type");
      reader.limits("table limits");
    } else if (kind === "memory") info.memories.push({ ...reader.limits("memory limits"), imported: true, exported: false });
    else if (kind === "global") {
      reader.byte("global type");
      reader.byte("global mutability");
    } else {
      reader.byte("tag attribute");
      reader.u32("tag type index");
    }
    info.imports.push({ module, name, kind });
  }
  reader.expectEnd("import");
}

function readMemories(reader: ByteReader, info: WasmModuleInfo): void {
  const count = reader.u32("memory count");
  for (let i = 0; i < count; i++) info.memories.push({ ...reader.limits("memory limits"), imported: false, exported: false });
  reader.expectEnd("memory");
}

function readExports(reader: ByteReader, info: WasmModuleInfo): void {
  const count = reader.u32("export count");
  for (let i = 0; i < count; i++) {
    const name = reader.name("export name");
    const kindByte = reader.byte("export kind");
    const kind = externKinds[kindByte];
    if (!kind) throw new WasmFormatError(`export ${name} has an unknown kind ${kindByte}`, "malformed");
    info.exports.push({ name, kind, index: reader.u32("export index") });
  }
  reader.expectEnd("export");
}

class ByteReader {
  private static readonly decoder = new TextDecoder("utf-8", { fatal: true });

  constructor(
    private readonly bytes: Uint8Array,
    public offset: number,
    private readonly end = bytes.length,
    /** Set for a section's reader: its size fit the file, so running out means the section lies about its content. */
    private readonly section?: string,
  ) {}

  done(): boolean {
    return this.offset >= this.end;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  slice(size: number, name: string): ByteReader {
    const section = new ByteReader(this.bytes, this.offset, this.offset + size, name);
    this.offset += size;
    return section;
  }

  byte(what: string): number {
    if (this.offset >= this.end) throw this.truncated(what);
    return this.bytes[this.offset++]!;
  }

  /** Unsigned LEB128; numbers up to 2^53 are exact, which covers every size and index in a module. */
  uleb(what: string, maxBytes: number): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes; i++) {
      const byte = this.byte(what);
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new WasmFormatError(`its ${what} is not a valid LEB128 number`, "malformed");
  }

  u32(what: string): number {
    return this.uleb(what, 5);
  }

  name(what: string): string {
    const length = this.u32(what);
    if (this.remaining() < length) throw this.truncated(what);
    const text = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    try {
      return ByteReader.decoder.decode(text);
    } catch {
      throw new WasmFormatError(`its ${what} is not valid UTF-8`, "malformed");
    }
  }

  limits(what: string): { minPages: number; maxPages: number | null; shared: boolean } {
    const flags = this.byte(what);
    if (flags > 0x07) throw new WasmFormatError(`its ${what} use unsupported flags 0x${flags.toString(16)}`, "malformed");
    const maxBytes = flags & 0x04 ? 10 : 5;
    const minPages = this.uleb(what, maxBytes);
    const maxPages = flags & 0x01 ? this.uleb(what, maxBytes) : null;
    return { minPages, maxPages, shared: (flags & 0x02) !== 0 };
  }

  expectEnd(section: string): void {
    if (!this.done()) throw new WasmFormatError(`its ${section} section has ${this.remaining()} bytes left over`, "malformed");
  }

  private truncated(what: string): WasmFormatError {
    return this.section
      ? new WasmFormatError(`its ${what} runs past the end of its ${this.section} section`, "malformed")
      : new WasmFormatError(`it ends in the middle of its ${what}`, "truncated");
  }
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
}
