import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { TaleError } from "../../errors";

/**
 * Compiles an AssemblyScript plugin project with the assemblyscript package
 * installed for it. The asc flags live in the project's asconfig.json (abort
 * override, runtime, memory cap, optimisation), so `npx asc` and `tale plugin
 * build` make the same module; this adds only the output path.
 */
export interface CompilePluginOptions {
  /** The project folder: asconfig.json and assembly/index.ts. */
  dir: string;
  outFile: string;
}

export interface CompiledPlugin {
  outFile: string;
  bytes: number;
  elapsedMs: number;
}

/** asc's entry script, searched like Node resolves packages: the nearest node_modules up from `dir`. */
export function findAsc(dir: string): string | undefined {
  let current = resolve(dir);
  while (true) {
    const candidate = join(current, "node_modules", "assemblyscript", "bin", "asc.js");
    if (existsSync(candidate)) return candidate;
    if (current === dirname(current)) return undefined;
    current = dirname(current);
  }
}

export async function compilePlugin(options: CompilePluginOptions): Promise<CompiledPlugin> {
  const dir = resolve(options.dir);
  const outFile = resolve(options.outFile);
  if (!existsSync(join(dir, "asconfig.json"))) {
    throw new TaleError("BAD_REQUEST", `${dir} has no asconfig.json, so it is not a plugin project.`, {
      hint: "Run the command inside a folder made by `tale plugin new <name>`, or pass that folder.",
    });
  }
  const asc = findAsc(dir);
  if (!asc) {
    throw new TaleError("BAD_REQUEST", `AssemblyScript is not installed for ${dir}.`, {
      hint: `Run \`npm install\` in ${dir} first.`,
    });
  }
  const node = Bun.which("node");
  if (!node) {
    throw new TaleError("BAD_REQUEST", "Node.js is not on PATH; the AssemblyScript compiler runs on it.", {
      hint: "Install Node.js 20 or later (it comes with npm, which the plugin project needs anyway).",
    });
  }
  mkdirSync(dirname(outFile), { recursive: true });
  // Compile beside the target and rename, so a reader never sees half a module.
  const staging = `${outFile}.${process.pid}.tmp`;
  const started = performance.now();
  // --enable-source-maps stops asc's launcher from starting a second node process.
  const child = Bun.spawn([node, "--enable-source-maps", asc, "--config", "asconfig.json", "--outFile", staging], {
    cwd: dir,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  const elapsedMs = performance.now() - started;
  if (exitCode !== 0 || !existsSync(staging)) {
    rmSync(staging, { force: true });
    throw new TaleError("BAD_REQUEST", `The plugin in ${dir} did not compile:\n${`${stdout}${stderr}`.trim()}`, {
      hint: "Fix the AssemblyScript errors above and build again.",
    });
  }
  renameSync(staging, outFile);
  return { outFile, bytes: statSync(outFile).size, elapsedMs };
}
