import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve, sep } from "node:path";

/**
 * The compiled binary carries node-llama-cpp as an archive. It is unpacked
 * once per build into a cache folder shared by every TALE_HOME, so only the
 * first engine start of a new build pays for it.
 */
export interface EmbeddedRuntime {
  archivePath: string;
  /** Content hash of the archive: a new build unpacks to a new folder. */
  id: string;
}

let embedded: EmbeddedRuntime | undefined;

export function useEmbeddedRuntime(runtime: EmbeddedRuntime): void {
  embedded = runtime;
}

export function embeddedRuntime(): EmbeddedRuntime | undefined {
  return embedded;
}

export function runtimeCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.TALE_CACHE_DIR) return env.TALE_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tale");
}

/** Returns the folder holding node_modules/node-llama-cpp, unpacking it first if needed. */
export async function unpackRuntime(runtime: EmbeddedRuntime, cacheDir = runtimeCacheDir()): Promise<string> {
  const target = join(cacheDir, "runtime", runtime.id);
  if (existsSync(join(target, ".complete"))) return target;
  mkdirSync(join(cacheDir, "runtime"), { recursive: true });
  // Unpack beside the target and rename, so a crash or a concurrent engine never sees half a runtime.
  const staging = `${target}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  const archive = new Bun.Archive(await Bun.file(runtime.archivePath).bytes());
  await archive.extract(staging);
  await Bun.write(join(staging, ".complete"), runtime.id);
  try {
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(target, ".complete"))) throw error;
  }
  return target;
}

/** Whether a path is a script of the unpacked runtime (which node-llama-cpp forks this binary to run). */
export function isRuntimeScript(path: string, cacheDir = runtimeCacheDir()): boolean {
  return path.endsWith(".js") && resolve(path).startsWith(join(resolve(cacheDir), "runtime") + sep);
}
