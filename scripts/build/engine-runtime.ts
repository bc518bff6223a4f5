import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/**
 * Collects node-llama-cpp, its dependencies and the CPU prebuilt for this
 * platform into one archive. node-llama-cpp reads its own package files at run
 * time, so it cannot be bundled; the binary carries this archive instead and
 * unpacks it on first use (see src/engine/runtime.ts).
 */
export interface RuntimeArchiveOptions {
  root: string;
  /** Prebuilt binary package, e.g. "@node-llama-cpp/linux-x64". */
  prebuilt: string;
}

/** Only needed to compile llama.cpp from source, which the engine never does. */
const skipped = [/^node_modules\/node-llama-cpp\/llama\/gitRelease\.bundle$/, /\.(md|map|d\.ts|d\.mts|d\.cts)$/];

export function collectRuntimeFiles(options: RuntimeArchiveOptions): Map<string, string> {
  const packages = new Set<string>();
  const queue = [join(options.root, "node_modules", "node-llama-cpp"), join(options.root, "node_modules", options.prebuilt)];
  while (queue.length) {
    const dir = queue.pop()!;
    if (packages.has(dir)) continue;
    packages.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(manifest.dependencies ?? {})) queue.push(resolvePackage(dir, name, options.root));
  }
  const files = new Map<string, string>();
  for (const dir of packages) {
    for (const file of walk(dir)) {
      const name = relative(options.root, file);
      if (!skipped.some((pattern) => pattern.test(name))) files.set(name, file);
    }
  }
  return files;
}

/** Node's lookup: the nearest node_modules folder up from the requiring package. */
function resolvePackage(fromDir: string, name: string, root: string): string {
  let dir = fromDir;
  while (true) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === root || dir === dirname(dir)) throw new Error(`cannot resolve ${name} from ${fromDir}`);
    dir = dirname(dir);
  }
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      // Nested node_modules are separate packages, reached through dependencies.
      if (entry.name !== "node_modules") yield* walk(path);
    } else if (entry.isFile() && statSync(path).size > 0) {
      yield path;
    }
  }
}
