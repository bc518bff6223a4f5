/**
 * `bun run build`: writes dist/tale, one executable that carries the CLI, the
 * daemon, the built-in engine's native runtime and the default plugins.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { collectRuntimeFiles } from "./build/engine-runtime";
import { compileDefaultPlugins } from "./build/plugins";

const root = resolve(import.meta.dir, "..");
const buildDir = join(root, "dist", ".build");
const started = performance.now();

rmSync(buildDir, { recursive: true, force: true });
mkdirSync(buildDir, { recursive: true });

// asc runs in child processes, so the plugins compile while the runtime archive is packed.
const pluginsBuilt = compileDefaultPlugins(root);

const prebuilt = `@node-llama-cpp/${process.platform}-${process.arch}`;
const files = collectRuntimeFiles({ root, prebuilt });
// Bun.Archive does not read lazy Bun.file blobs, so load the bytes first.
const entries = await Promise.all([...files].map(async ([name, path]) => [name, await Bun.file(path).bytes()] as const));
const archive = new Bun.Archive(Object.fromEntries(entries), { compress: "gzip" });
const archiveBytes = await archive.bytes();
const archiveId = new Bun.CryptoHasher("sha256").update(archiveBytes).digest("hex").slice(0, 16);
writeFileSync(join(buildDir, "engine-runtime.tar.gz"), archiveBytes);
writeFileSync(join(buildDir, "engine-runtime.json"), JSON.stringify({ id: archiveId, files: files.size }));
const plugins = await pluginsBuilt;

// With BUN_OPTIONS set (e.g. a --preload), bun reads "build" as the package.json script, which is this file: endless recursion.
const compileEnv = { ...process.env };
delete compileEnv.BUN_OPTIONS;
const result = Bun.spawnSync(
  [process.execPath, "build", "--compile", "--minify-syntax", "--sourcemap=none", "--compile-autoload-package-json", "--external", "node-llama-cpp", join(root, "scripts/build/compiled-entry.ts"), "--outfile", join(root, "dist/tale")],
  { cwd: root, env: compileEnv, stdout: "inherit", stderr: "inherit" },
);
if (result.exitCode !== 0) process.exit(result.exitCode ?? 1);

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`dist/tale built in ${seconds}s (engine runtime: ${files.size} files, ${(archiveBytes.length / 1048576).toFixed(1)} MB gzipped; plugins: ${plugins.join(", ")})`);
