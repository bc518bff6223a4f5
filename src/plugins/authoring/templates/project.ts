/**
 * The build files of a new plugin project. asconfig.json holds every asc flag
 * tale needs, so `npm run build` and `tale plugin build` make the same module.
 */
export const pinnedVersions = {
  assemblyscript: "0.28.20",
  "@extism/as-pdk": "1.0.0",
  "@extism/extism": "1.0.3",
  "assemblyscript-json": "1.1.0",
} as const;

/** 16 pages of 64 KiB: 1 MiB, plenty for JSON routing and small enough that a runaway allocation traps fast. */
export const scaffoldMemoryPages = 16;

export function packageJson(name: string): string {
  const manifest = {
    name,
    version: "0.1.0",
    private: true,
    description: `${name}: a tale plugin`,
    type: "module",
    scripts: {
      build: "asc",
      test: "asc && node --test test/plugin.test.mjs",
    },
    devDependencies: Object.fromEntries(Object.entries(pinnedVersions).sort(([a], [b]) => a.localeCompare(b))),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function asconfigJson(name: string): string {
  const config = {
    entries: ["assembly/index.ts"],
    options: {
      outFile: `build/${name}.wasm`,
      optimizeLevel: 3,
      shrinkLevel: 0,
      // The incremental runtime frees memory, so any code stays within the memory cap call after call.
      runtime: "incremental",
      // tale refuses a plugin without a declared memory maximum.
      maximumMemory: scaffoldMemoryPages,
      // Without this the module imports env.abort, which no host provides.
      use: ["abort=assembly/index/pluginAbort"],
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Editor support only: asc ignores it. */
export function assemblyTsconfigJson(): string {
  return `${JSON.stringify({ extends: "assemblyscript/std/assembly.json", include: ["./**/*.ts"] }, null, 2)}\n`;
}

export function gitignore(): string {
  return "node_modules/\nbuild/\n";
}
