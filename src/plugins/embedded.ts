import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { TaleError } from "../errors";
import { compilePlugin } from "./authoring/compile";

/**
 * The default plugins (AssemblyScript projects in plugins/<name>/) ship inside
 * the binary: scripts/build.ts compiles them and the compiled entry registers
 * the embedded files here. A development run has no binary, so it reads what
 * the build wrote to dist/.build/plugins/, compiling a plugin there first when
 * it is missing or older than its sources; editing plugins/router and running
 * `bun src/main.ts` therefore always uses the edited policy.
 */
const repoRoot = resolve(import.meta.dir, "../..");

let embedded: Record<string, string> | undefined;

/** Called by the compiled binary's entry with the embedded file path of each default plugin. */
export function useEmbeddedPlugins(paths: Record<string, string>): void {
  embedded = paths;
}

export function embeddedPluginNames(): string[] {
  if (embedded) return Object.keys(embedded).sort();
  return defaultPluginSources(repoRoot).map((source) => source.name);
}

export async function embeddedPlugin(name: string): Promise<Uint8Array> {
  if (embedded) {
    const path = embedded[name];
    if (!path) throw unknownPlugin(name, Object.keys(embedded));
    return Bun.file(path).bytes();
  }
  const source = defaultPluginSources(repoRoot).find((candidate) => candidate.name === name);
  if (!source) throw unknownPlugin(name, embeddedPluginNames());
  const outFile = builtPluginPath(repoRoot, name);
  if (!existsSync(outFile) || statSync(outFile).mtimeMs < newestSourceChange(source.dir)) await compilePlugin({ dir: source.dir, outFile });
  return Bun.file(outFile).bytes();
}

export interface DefaultPluginSource {
  name: string;
  dir: string;
}

/** Every plugins/<name>/ holding an asconfig.json is a default plugin. */
export function defaultPluginSources(root: string): DefaultPluginSource[] {
  const pluginsDir = join(root, "plugins");
  if (!existsSync(pluginsDir)) return [];
  return readdirSync(pluginsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(pluginsDir, entry.name, "asconfig.json")))
    .map((entry) => ({ name: entry.name, dir: join(pluginsDir, entry.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function builtPluginPath(root: string, name: string): string {
  return join(root, "dist", ".build", "plugins", `${name}.wasm`);
}

/** What asc reads: the config and the AssemblyScript sources. */
function newestSourceChange(dir: string): number {
  let newest = statSync(join(dir, "asconfig.json")).mtimeMs;
  for (const entry of readdirSync(join(dir, "assembly"), { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function unknownPlugin(name: string, names: string[]): TaleError {
  return new TaleError("NOT_FOUND", `tale has no built-in plugin named "${name}".`, {
    hint: `Built-in plugins: ${names.join(", ") || "none"}.`,
  });
}
