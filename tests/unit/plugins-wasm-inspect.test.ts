import { describe, expect, test } from "bun:test";
import { TaleError } from "../../src/errors";
import { inspectWasm } from "../../src/plugins/wasm-inspect";
import { compileFixture, fixtureBytes } from "../helpers/compile-plugin";

/** Just enough of the binary format to write test modules by hand. */
function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}
const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const name = (text: string) => {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
};
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
const typeSection = section(1, vec([[0x60, 0x00, 0x00]]));
const importFunction = (module: string, field: string) => [...name(module), ...name(field), 0x00, 0x00];
const memorySection = (limits: number[]) => section(5, vec([limits]));
const exportMemory = section(7, vec([[...name("memory"), 0x02, 0x00]]));
const wasm = (...parts: number[][]) => new Uint8Array([...header, ...parts.flat()]);

function refusal(bytes: Uint8Array, options: Parameters<typeof inspectWasm>[1] = { source: "test.wasm" }): TaleError {
  try {
    inspectWasm(bytes, options);
  } catch (error) {
    expect(error).toBeInstanceOf(TaleError);
    expect((error as TaleError).code).toBe("PLUGIN_FAILED");
    return error as TaleError;
  }
  throw new Error("inspectWasm accepted a module it should refuse");
}

describe("inspectWasm on hand-made modules", () => {
  test("reads imports, exports and the memory of a valid module", () => {
    const bytes = wasm(typeSection, section(2, vec([importFunction("extism:host/env", "alloc")])), memorySection([0x01, 0x01, 0x10]), exportMemory);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const inspection = inspectWasm(bytes);
    expect(inspection.imports).toEqual([{ module: "extism:host/env", name: "alloc", kind: "function" }]);
    expect(inspection.exports).toEqual([{ name: "memory", kind: "memory", index: 0 }]);
    expect(inspection.memory).toEqual({ minPages: 1, maxPages: 16, shared: false, imported: false, exported: true });
    expect(inspection.functions).toEqual([]);
  });

  test("a module without memory needs no maximum", () => {
    expect(inspectWasm(wasm()).memory).toBeNull();
  });

  test("refuses a file that is not wasm, naming the file and what it starts with", () => {
    const error = refusal(new TextEncoder().encode("\x7fELF not a module"));
    expect(error.message).toContain("test.wasm");
    expect(error.message).toContain("7f 45 4c 46");
    expect(error.hint).toContain("tale plugin build");
  });

  test("refuses an empty file and a cut header", () => {
    expect(refusal(new Uint8Array()).message).toContain("it is empty");
    expect(refusal(new Uint8Array(header.slice(0, 5))).message).toContain("ends after 5 bytes");
  });

  test("refuses a component (other binary version)", () => {
    const component = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
    expect(refusal(component).message).toContain("not a version 1 core module");
  });

  test("refuses a section that runs past the end of the file", () => {
    const bytes = wasm(typeSection, memorySection([0x01, 0x01, 0x10]));
    const error = refusal(bytes.subarray(0, bytes.length - 2));
    expect(error.message).toContain("memory section needs");
    expect(error.hint).toContain("cut short");
  });

  test("refuses a memory without a maximum, with the flag to fix it", () => {
    const error = refusal(wasm(memorySection([0x00, 0x01])));
    expect(error.message).toContain("declares no maximum");
    expect(error.hint).toContain("--maximumMemory 256");
  });

  test("refuses a maximum above the cap, and honours a lower cap", () => {
    const bytes = wasm(memorySection([0x01, 0x01, ...uleb(512)]));
    expect(refusal(bytes).message).toContain("512 pages (32 MiB), above the limit of 256 pages (16 MiB)");
    const small = wasm(memorySection([0x01, 0x01, 0x10]));
    expect(inspectWasm(small).memory?.maxPages).toBe(16);
    expect(refusal(small, { maxMemoryPages: 8 }).message).toContain("above the limit of 8 pages");
  });

  test("refuses WASI, env.abort, other host functions and unknown kernel functions", () => {
    const importing = (module: string, field: string) => wasm(typeSection, section(2, vec([importFunction(module, field)])));
    expect(refusal(importing("wasi_snapshot_preview1", "fd_write")).message).toContain("plugins get no WASI");
    expect(refusal(importing("env", "abort")).hint).toContain("--use abort=");
    expect(refusal(importing("extism:host/user", "fetch")).message).toContain("may import only Extism's kernel");
    expect(refusal(importing("extism:host/env", "spawn_process")).message).toContain("does not provide");
  });

  test("refuses a module whose headers read but whose code does not validate", () => {
    const functions = section(3, vec([[0x00]]));
    const badBody = [0x00, 0xff, 0x0b];
    const code = section(10, vec([[...uleb(badBody.length), ...badBody]]));
    expect(refusal(wasm(typeSection, functions, code)).message).toContain("does not validate");
  });
});

describe("inspectWasm on compiled fixtures", () => {
  test("accepts the router fixture and lists its hook exports", async () => {
    const inspection = inspectWasm(await fixtureBytes("router"));
    expect(inspection.functions).toEqual(expect.arrayContaining(["tale_manifest", "task_route", "task_completed", "metrics_tick"]));
    expect(inspection.memory?.maxPages).toBe(16);
    expect(inspection.imports.every((entry) => entry.module === "extism:host/env")).toBe(true);
  });

  test("refuses builds without a maximum or with too much memory", async () => {
    expect(refusal(await fixtureBytes("router", { maximumMemory: null })).message).toContain("declares no maximum");
    expect(refusal(await fixtureBytes("router", { maximumMemory: 512 })).message).toContain("above the limit");
  });

  test("refuses a fixture importing WASI", async () => {
    expect(refusal(await fixtureBytes("wasi-import")).message).toContain("wasi_snapshot_preview1.random_get");
  });

  test("refuses a truncated copy of a real plugin", async () => {
    const bytes = await fixtureBytes("router");
    for (const length of [4, 9, Math.floor(bytes.length / 2), bytes.length - 1]) {
      const error = refusal(bytes.subarray(0, length), { source: "router.wasm" });
      expect(error.message).toStartWith("router.wasm is not a usable WebAssembly module");
    }
  });

  test("inspection is cheap enough to run on every load and reload", async () => {
    const bytes = await Bun.file(await compileFixture("router")).bytes();
    inspectWasm(bytes);
    const started = performance.now();
    for (let i = 0; i < 100; i++) inspectWasm(bytes);
    expect((performance.now() - started) / 100).toBeLessThan(5);
  });
});
