import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { TaleError } from "../../errors";
import { manifestExport } from "../manifest";
import { inspectWasm } from "../wasm-inspect";
import { compilePlugin, type CompiledPlugin } from "./compile";

/** `tale plugin build`: compiles a plugin project to build/<name>.wasm and checks the module the way the daemon will. */
export interface BuiltPluginProject extends CompiledPlugin {
  name: string;
}

export async function buildPluginProject(dir: string): Promise<BuiltPluginProject> {
  const name = projectName(dir);
  const built = await compilePlugin({ dir, outFile: join(dir, "build", `${name}.wasm`) });
  // The daemon's admission check: imports, memory maximum, validity.
  const inspection = inspectWasm(await Bun.file(built.outFile).bytes(), { source: `build/${name}.wasm` });
  if (!inspection.functions.includes(manifestExport)) {
    throw new TaleError("PLUGIN_FAILED", `build/${name}.wasm does not export ${manifestExport}, so tale cannot tell what it handles.`, {
      hint: `Export a function ${manifestExport} from assembly/index.ts that outputs the manifest JSON (see README.md).`,
    });
  }
  return { name, ...built };
}

/** The npm package name without a scope, as the scaffold writes it; the folder name otherwise. */
function projectName(dir: string): string {
  const manifestPath = join(dir, "package.json");
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { name?: string };
    if (manifest.name) return manifest.name.replace(/^@[^/]+\//, "");
  }
  return basename(dir);
}
