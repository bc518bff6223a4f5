import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import asc from "assemblyscript/asc";
import { repoRoot } from "./tale";

/**
 * Compiles the AssemblyScript test plugins in tests/fixtures/plugins with
 * asc, the way plugins are built for real (abort override, stub runtime,
 * -O3, a memory maximum), and caches each build by the hash of its source
 * and flags in .tale-test/plugin-fixtures, so only the first run pays for
 * asc (about a second per fixture).
 *
 * The sources end in .as, not .ts: they are AssemblyScript, which the
 * project's TypeScript check must not read. asc is handed each one under a
 * .ts name (it insists on that extension) from the same folder, so package
 * imports resolve from the repo's node_modules.
 */
export const fixturesDir = resolve(import.meta.dir, "../fixtures/plugins");
const cacheDir = join(repoRoot, ".tale-test", "plugin-fixtures");

export interface FixtureBuild {
  /** asc --maximumMemory in 64 KiB pages; null builds without a maximum. Default 16 (1 MiB). */
  maximumMemory?: number | null;
  /** Integer constants for asc --use NAME=value. */
  constants?: Record<string, number>;
}

const builds = new Map<string, Promise<string>>();

/** Path of the compiled .wasm for tests/fixtures/plugins/<name>.as. Do not modify it: copy it. */
export function compileFixture(name: string, build: FixtureBuild = {}): Promise<string> {
  const source = readFileSync(join(fixturesDir, `${name}.as`), "utf8");
  const flags = ["-O3", "--runtime", "stub", "--use", `abort=${name}/abort`];
  const maximumMemory = build.maximumMemory === undefined ? 16 : build.maximumMemory;
  if (maximumMemory !== null) flags.push("--maximumMemory", String(maximumMemory));
  for (const [constant, value] of Object.entries(build.constants ?? {})) flags.push("--use", `${constant}=${value}`);
  const key = new Bun.CryptoHasher("sha256").update(`${asc.version}\n${flags.join(" ")}\n${source}`).digest("hex").slice(0, 16);
  const outFile = join(cacheDir, `${name}-${key}.wasm`);
  let pending = builds.get(outFile);
  if (!pending) {
    pending = existsSync(outFile) ? Promise.resolve(outFile) : compile(name, source, flags, outFile);
    builds.set(outFile, pending);
  }
  return pending;
}

export async function fixtureBytes(name: string, build: FixtureBuild = {}): Promise<Uint8Array> {
  return Bun.file(await compileFixture(name, build)).bytes();
}

async function compile(name: string, source: string, flags: string[], outFile: string): Promise<string> {
  const entry = `${name}.ts`;
  let wasm: Uint8Array | undefined;
  const output: string[] = [];
  const stream = { write: (chunk: string | Uint8Array) => void output.push(String(chunk)) };
  const { error } = await asc.main([entry, "--baseDir", fixturesDir, "--outFile", `${name}.wasm`, ...flags], {
    stdout: stream,
    stderr: stream,
    readFile: (file, baseDir) => {
      if (resolve(baseDir, file) === join(fixturesDir, entry)) return source;
      const path = resolve(baseDir, file);
      return existsSync(path) ? readFileSync(path, "utf8") : null;
    },
    writeFile: (file, contents) => {
      if (file.endsWith(".wasm")) wasm = typeof contents === "string" ? new TextEncoder().encode(contents) : contents;
    },
  });
  if (error || !wasm) throw new Error(`asc could not compile ${name}.as: ${error?.message ?? "no output"}\n${output.join("")}`);
  mkdirSync(cacheDir, { recursive: true });
  const staging = `${outFile}.${process.pid}.tmp`;
  writeFileSync(staging, wasm);
  renameSync(staging, outFile);
  return outFile;
}
