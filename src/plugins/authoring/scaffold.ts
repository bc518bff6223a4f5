import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { TaleError } from "../../errors";
import { hookExamples } from "./hook-examples";
import { assemblyIndex } from "./templates/assembly";
import { asconfigJson, assemblyTsconfigJson, gitignore, packageJson } from "./templates/project";
import { readme } from "./templates/readme";
import { pluginTest } from "./templates/test";

/** `tale plugin new`: writes an AssemblyScript plugin project that builds and passes its test as is. */
export interface ScaffoldOptions {
  name: string;
  /** The project goes into <parentDir>/<name>. */
  parentDir: string;
}

export interface ScaffoldResult {
  dir: string;
  files: string[];
}

/** Also the npm package name and the wasm file name, so it stays within what both accept. */
const pluginName = /^[a-z][a-z0-9-]{0,63}$/;

export function scaffoldPlugin(options: ScaffoldOptions): ScaffoldResult {
  const { name } = options;
  if (!pluginName.test(name)) {
    throw new TaleError("BAD_REQUEST", `"${name}" is not a usable plugin name.`, {
      hint: "Use lowercase letters, digits and dashes, starting with a letter (e.g. my-router).",
    });
  }
  const dir = resolve(options.parentDir, name);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new TaleError("BAD_REQUEST", `${dir} already exists and is not empty.`, {
      hint: "Pick another name, or remove the folder first.",
    });
  }
  const files: Record<string, string> = {
    "package.json": packageJson(name),
    "asconfig.json": asconfigJson(name),
    "assembly/index.ts": assemblyIndex(name),
    "assembly/tsconfig.json": assemblyTsconfigJson(),
    "test/plugin.test.mjs": pluginTest(name),
    "examples/task-route.json": `${JSON.stringify(hookExamples["task:route"].input, null, 2)}\n`,
    ".gitignore": gitignore(),
    "README.md": readme(name),
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return { dir, files: Object.keys(files) };
}
