import { basename } from "node:path";
import { compilePlugin } from "../../src/plugins/authoring/compile";
import { builtPluginPath, defaultPluginSources } from "../../src/plugins/embedded";
import { isTaleError } from "../../src/errors";

/**
 * Compiles every plugins/<name>/ to dist/.build/plugins/<name>.wasm, where
 * compiled-entry.ts imports it. Returns one "name (size, time)" line per plugin.
 */
export async function compileDefaultPlugins(root: string): Promise<string[]> {
  const sources = defaultPluginSources(root);
  if (!sources.length) throw new Error(`no plugins found in ${root}/plugins`);
  return Promise.all(
    sources.map(async (source) => {
      try {
        const built = await compilePlugin({ dir: source.dir, outFile: builtPluginPath(root, source.name) });
        return `${basename(built.outFile)} ${(built.bytes / 1024).toFixed(1)} KB in ${(built.elapsedMs / 1000).toFixed(1)}s`;
      } catch (error) {
        // The build has no CLI error printer: show the compiler output and hint as they are.
        if (isTaleError(error)) throw new Error(`${error.message}\n${error.hint ?? ""}`);
        throw error;
      }
    }),
  );
}
